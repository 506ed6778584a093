"""`liaison-server`: create and migrate a database, seed it, manage users and keys, serve the API,
simulate a phone system (`simulate`, `serve --simulate`) and recompute the offers model."""

import argparse
import dataclasses
import getpass
import ipaddress
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from server.auth.service import AuthError
from server.config import ServerSettings, default_database_url
from server.db import tables as t
from server.db.engine import Database
from server.db.types import utcnow

if TYPE_CHECKING:
    from server.simulator.in_process import InProcessSimulator

PROG = "liaison-server"
#: where `simulate` reads the integration key when --key is not given (keeps it out of `ps`)
SIMULATOR_KEY_ENV = "LIAISON_INTEGRATION_KEY"


class CliError(Exception):
    """An expected failure: printed as one line, exit status 1."""


# ---- helpers ----------------------------------------------------------------------------------


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def open_database(url: str, *, create: bool = False) -> Database:
    """The database at `url`; a SQLite file must exist unless `create` (then its folder is made)."""
    try:
        path = _sqlite_path(url)
    except ArgumentError:
        raise CliError(f"not a database URL: {url!r}") from None
    if path is not None:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise CliError(f"no database at {path}: run `{PROG} init --database {url}` first")
    return Database(url)


def open_current(url: str) -> Database:
    """An initialized database of the current schema, or a CliError saying how to get one."""
    from server.app import SchemaNotCurrentError, check_schema

    db = open_database(url)
    try:
        check_schema(db)
    except SchemaNotCurrentError as exc:
        db.dispose()
        raise CliError(str(exc)) from None
    return db


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise CliError("the passwords differ")
    return first


# ---- commands ---------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from server.db.bootstrap import initialize

    db = open_database(args.database, create=True)
    try:
        epoch = initialize(db)
    finally:
        db.dispose()
    print(f"initialized {_display_url(args.database)} (epoch {epoch})")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from server.seed import SeedError, run_seed

    if args.customers < 0:
        raise CliError("--customers must be 0 or more")
    db = open_current(args.database)
    try:
        report = run_seed(
            db, customers=args.customers, seed=args.seed, progress=lambda line: print(line, flush=True)
        )
        from server.demo_users import DEMO_PASSWORD, create_demo_users

        users = create_demo_users(db)
        # fresh statistics: without them PostgreSQL plans scope snapshots as nested loops
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    except SeedError as exc:
        raise CliError(str(exc)) from None
    finally:
        db.dispose()
    print(f"seeded {_display_url(args.database)}: {report.summary()}")
    if users:
        print(f"demo users {', '.join(users)} created with the password {DEMO_PASSWORD!r}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.auth.passwords import uses_demo_password

    if args.workers < 1:
        raise CliError("--workers must be 1 or more")
    db = open_current(args.database)
    try:
        if args.workers > 1 and not db.is_postgres:
            raise CliError("--workers above 1 needs PostgreSQL; SQLite is served by one process")
        if not is_loopback(args.host) and not args.allow_demo_passwords and uses_demo_password(db):
            raise CliError(
                f"a user still has the demo password and {args.host} is reachable from the network: "
                "change the passwords, serve on 127.0.0.1, or pass --allow-demo-passwords"
            )
    finally:
        db.dispose()
    settings = dataclasses.replace(
        ServerSettings.from_env(),
        database_url=args.database,
        host=args.host,
        port=args.port,
        workers=args.workers,
        allow_demo_passwords=args.allow_demo_passwords,
    )
    os.environ.update(settings.to_env())
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Liaison central CRM API on http://{shown}:{args.port}  (docs: /api/v1/docs)", flush=True)
    simulator = _start_in_process_simulator(args, shown) if args.simulate else None
    try:
        uvicorn.run(
            "server.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="info",
        )
    finally:
        if simulator is not None:
            simulator.stop()
    return 0


def _simulator_logging() -> None:
    """The simulator's log lines (retries, rejections, start and stop) on standard error; uvicorn
    configures only its own loggers, and the root logger stays as it is (no request noise)."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    sim_log = logging.getLogger("server.simulator")
    sim_log.setLevel(logging.INFO)
    sim_log.addHandler(handler)


def _start_in_process_simulator(args: argparse.Namespace, shown_host: str) -> "InProcessSimulator":
    from server.simulator.in_process import InProcessSimulator

    if args.simulate_speed <= 0:
        raise CliError("--simulate-speed must be above 0")
    _simulator_logging()
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else shown_host  # noqa: S104 (reaching our own socket)
    simulator = InProcessSimulator(
        args.database,
        f"http://{host}:{args.port}",
        speed=args.simulate_speed,
        seed=args.simulate_seed,
        agents=args.simulate_agents,
    )
    simulator.start()
    print(
        f"call simulator: {args.simulate_agents} simulated agents at speed {args.simulate_speed:g} "
        "(starts when the server answers)",
        flush=True,
    )
    return simulator


def cmd_create_user(args: argparse.Namespace) -> int:
    from server.auth.service import create_user
    from wire.auth import CreateUserRequest

    password = _read_password(args.password_stdin)
    try:
        request = CreateUserRequest.model_validate(
            {
                "username": args.username,
                "display_name": args.display_name,
                "password": password,
                "roles": _split(args.roles),
                "queue_ids": _split(args.queues),
                "territory_ids": _split(args.territories),
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CliError(f"{field}: {first['msg']}") from None
    db = open_current(args.database)
    try:
        user = create_user(
            db,
            username=request.username,
            display_name=request.display_name,
            password=request.password,
            roles=request.roles,
            queue_ids=request.queue_ids,
            territory_ids=request.territory_ids,
        )
    finally:
        db.dispose()
    print(f"created user {user.username} ({', '.join(user.roles)}) id {user.id}")
    return 0


def cmd_rotate_epoch(args: argparse.Namespace) -> int:
    from server.db.bootstrap import rotate_epoch

    db = open_current(args.database)
    try:
        epoch = rotate_epoch(db)
    finally:
        db.dispose()
    print(f"new epoch {epoch}: every client rebuilds its cache and re-sends its pending changes")
    return 0


def cmd_create_integration_key(args: argparse.Namespace) -> int:
    from server.auth.tokens import hash_integration_key, new_integration_key

    key = new_integration_key()
    db = open_current(args.database)
    try:
        with db.write() as conn:
            taken = conn.execute(select(t.integration_key.c.id).where(t.integration_key.c.name == args.name))
            if taken.first() is not None:
                raise CliError(f"an integration key named {args.name!r} exists already")
            conn.execute(
                insert(t.integration_key).values(
                    id=str(uuid.uuid4()),
                    name=args.name,
                    key_hash=hash_integration_key(key),
                    created_at=utcnow(),
                )
            )
    finally:
        db.dispose()
    print(f"integration key {args.name!r} (shown once; only its hash is stored):")
    print(key)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """A simulated phone system against a running server (docs/simulator.md)."""
    import threading

    from server.simulator.callers import numbers_from_file
    from server.simulator.real_agents import StatePoller
    from server.simulator.runner import EventLogWriter, open_log, run_fast, run_realtime
    from server.simulator.setup import RunPlan, http_client, parse_duration_ms, parse_queues, parse_start
    from server.simulator.sink import HttpSink, SinkError, SinkUnavailableError
    from server.simulator.sources import numbers_from_database, phone_queues_from_database

    _simulator_logging()
    key = args.key or os.environ.get(SIMULATOR_KEY_ENV, "")
    if not key:
        raise CliError(f"an integration key is needed: --key or ${SIMULATOR_KEY_ENV}")
    if args.agents < 0:
        raise CliError("--agents must be 0 or more")
    if args.speed is not None and args.speed <= 0:
        raise CliError("--speed must be above 0")
    duration_ms = parse_duration_ms(args.duration) if args.duration else None
    if args.fast and duration_ms is None:
        raise CliError("--fast needs --duration")
    queues = parse_queues(args.queues) if args.queues else None
    numbers = numbers_from_file(Path(args.numbers)) if args.numbers else None
    if queues is None or numbers is None:
        db = open_current(args.database)
        try:
            queues = queues if queues is not None else phone_queues_from_database(db)
            numbers = numbers if numbers is not None else numbers_from_database(db)
        finally:
            db.dispose()
    if not queues:
        raise CliError("no phone queues: pass --queues ID[=NAME],… or a --database that has some")
    speed = None if args.fast else (args.speed if args.speed is not None else 1.0)
    plan = RunPlan(args.seed, queues, args.agents, numbers, parse_start(args.start), speed)
    engine = plan.engine()
    stream = open_log(Path(args.log) if args.log else None)
    stop = threading.Event()
    print(
        f"simulating run {engine.run}: {len(queues)} queues, {args.agents} agents, {len(numbers)} known numbers"
    )
    try:
        with http_client(args.url) as client:
            sink = HttpSink(client, key, stop=stop)
            writer = EventLogWriter(stream)
            if speed is None:
                assert duration_ms is not None
                report = run_fast(engine, sink, duration_ms, writer)
            else:
                poller = None if args.no_real_agents else StatePoller(client, key)
                try:
                    report = run_realtime(
                        engine, sink, stop, duration_ms=duration_ms, poller=poller, writer=writer
                    )
                except KeyboardInterrupt:
                    stop.set()
                    raise
    except (SinkError, SinkUnavailableError) as exc:
        raise CliError(str(exc)) from None
    finally:
        if stream is not None:
            stream.close()
    print(f"simulated {report.summary()}")
    return 1 if report.rejected else 0


def cmd_recompute_offers(args: argparse.Namespace) -> int:
    from server.offers.cli import cmd_recompute_offers as recompute_offers

    return recompute_offers(args)


def cmd_purge(args: argparse.Namespace) -> int:
    from server.sync.retention import purge

    db = open_current(args.database)
    try:
        days = args.days if args.days is not None else ServerSettings.from_env().retention_days
        report = purge(db, days)
    finally:
        db.dispose()
    print(
        f"purged {report.log_rows} change-log entries and {report.tombstones} tombstones older than "
        f"{days:g} days; clients below seq {report.min_retained_seq} re-prime"
    )
    return 0


# ---- the parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="The Liaison Desk central CRM API server.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--database",
            default=None,
            metavar="URL",
            help="SQLAlchemy URL (sqlite:///path or postgresql+psycopg://…); "
            "default: $LIAISON_DATABASE_URL or a SQLite file in the user data folder",
        )
        p.set_defaults(func=func)
        return p

    command("init", cmd_init, "create or upgrade the database schema")

    seed = command("seed", cmd_seed, "fill the database with realistic demo data")
    seed.add_argument("--customers", type=int, required=True, metavar="N")
    seed.add_argument(
        "--seed", type=int, default=1, metavar="S", help="random seed: the same seed, the same data"
    )

    serve = command("serve", cmd_serve, "serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--workers", type=int, default=1, help="processes (above 1 needs PostgreSQL)")
    serve.add_argument(
        "--allow-demo-passwords",
        action="store_true",
        help="serve on a non-loopback address even though a user has the demo password",
    )
    serve.add_argument(
        "--simulate", action="store_true", help="run the call simulator beside the server (docs/simulator.md)"
    )
    serve.add_argument(
        "--simulate-speed",
        type=float,
        default=1.0,
        metavar="X",
        help="simulated seconds per second (default 1)",
    )
    serve.add_argument(
        "--simulate-seed", type=int, default=1, metavar="N", help="the simulator's random seed"
    )
    serve.add_argument(
        "--simulate-agents", type=int, default=12, metavar="N", help="simulated agents (default 12)"
    )

    user = command("create-user", cmd_create_user, "create a user (the password is prompted for)")
    user.add_argument("--username", required=True)
    user.add_argument("--display-name", required=True)
    user.add_argument("--roles", required=True, help="comma-separated: agent, supervisor, field_rep, admin")
    user.add_argument("--queues", default=None, help="comma-separated queue ids")
    user.add_argument("--territories", default=None, help="comma-separated territory ids")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    command("rotate-epoch", cmd_rotate_epoch, "give the database a new epoch (after restoring a backup)")

    purge = command("purge", cmd_purge, "drop change-log entries and tombstones older than the retention")
    purge.add_argument("--days", type=float, default=None, help="retention in days (default: 180)")

    key = command("create-integration-key", cmd_create_integration_key, "create a key for the phone system")
    key.add_argument("--name", required=True)

    sim = command("simulate", cmd_simulate, "simulate a phone system (ACD) posting events to a server")
    sim.add_argument("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8765")
    sim.add_argument("--key", default=None, help=f"the integration key (default: ${SIMULATOR_KEY_ENV})")
    sim.add_argument(
        "--seed", type=int, default=1, metavar="N", help="random seed: the same seed and start, the same run"
    )
    pace = sim.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed", type=float, default=None, metavar="X", help="simulated seconds per second (default 1)"
    )
    pace.add_argument("--fast", action="store_true", help="as fast as possible: compute and post, no waiting")
    sim.add_argument(
        "--duration", default=None, help="simulated time, e.g. 30m, 2h, 1d (default: until Ctrl-C)"
    )
    sim.add_argument(
        "--start", default=None, metavar="ISO", help="the simulated start instant (default: now)"
    )
    sim.add_argument("--numbers", default=None, metavar="FILE", help="callers' known numbers, one a line")
    sim.add_argument(
        "--queues", default=None, metavar="ID[=NAME],…", help="phone queues (default: from --database)"
    )
    sim.add_argument("--agents", type=int, default=12, metavar="N", help="simulated agents (default 12)")
    sim.add_argument("--log", default=None, metavar="FILE", help="write the event log (JSON lines) here")
    sim.add_argument(
        "--no-real-agents", action="store_true", help="do not offer contacts to real desktop agents"
    )

    command("recompute-offers", cmd_recompute_offers, "recompute the offers' affinity model now")
    return parser


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.database is None:
        args.database = default_database_url()
    try:
        return int(args.func(args))
    except CliError as exc:
        message = str(exc)
    except AuthError as exc:
        message = exc.message
    except SQLAlchemyError as exc:
        message = f"database error: {_first_line(exc)}"
    except (OSError, ValueError) as exc:
        message = _first_line(exc)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
