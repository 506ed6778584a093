"""`liaison pop --phone NUMBER [--profile DIR]` and `liaison liaison://pop?phone=NUMBER`: hand a
caller's number to the running Liaison Desk of a profile, which pops it as an incoming contact
(without the call controls). Any softphone that can run a command or open a URL can drive it.

Qt-free and small: it runs as its own short process. The running instance listens on a local
socket named from a hash of the profile's data directory (`endpoint`; the instance side is
`desktop.views.instance`); the request is one line of JSON, `{"pop": {"phone": "…"}}`, and the
answer one line, `{"ok": true}` or `{"ok": false, "error": "…"}`. No instance → a clear message and
exit status 3; a refused request → exit status 4; a bad number or URL → exit status 2.

The number is checked strictly here and again by the instance: at most 64 characters of digits,
`+`, spaces and `-().`/ — anything else (letters, control characters, a second parameter, another
host or path in the URL) is refused with a message, never passed on.
"""

import argparse
import hashlib
import json
import re
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, urlsplit

URL_SCHEME: Final = "liaison"
MAX_PHONE: Final = 64
MAX_LINE: Final = 4096
#: how long the client waits to connect and for the acknowledgement (the instance answers at once,
#: but its window may be busy painting a pop)
TIMEOUT_S: Final = 30.0
EXIT_BAD_INPUT: Final = 2
EXIT_NO_INSTANCE: Final = 3
EXIT_REFUSED: Final = 4
_PHONE: Final = re.compile(r"\+?[0-9][0-9 \-()./]*")


class PopError(ValueError):
    """A number or URL that may not be popped; the message says why."""


def check_phone(phone: str) -> str:
    """The number, stripped, if it looks like a phone number; `PopError` otherwise."""
    text = phone.strip()
    if not text:
        raise PopError("the phone number is empty")
    if len(text) > MAX_PHONE:
        raise PopError(f"the phone number is longer than {MAX_PHONE} characters")
    if not _PHONE.fullmatch(text) or sum(c.isdigit() for c in text) < 3:
        raise PopError("the phone number may hold only digits, '+', spaces and - ( ) . /")
    return text


def parse_pop_url(url: str) -> str:
    """The phone number of `liaison://pop?phone=NUMBER`; `PopError` for anything else."""
    if len(url) > MAX_LINE:
        raise PopError("the URL is too long")
    if any(not c.isprintable() for c in url):
        raise PopError("the URL holds control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() != URL_SCHEME:
        raise PopError(f"not a {URL_SCHEME}:// URL")
    if parts.netloc.lower() != "pop" or parts.path not in ("", "/") or parts.fragment:
        raise PopError(f"the only {URL_SCHEME}:// URL is {URL_SCHEME}://pop?phone=NUMBER")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True, max_num_fields=2)
    except ValueError:
        raise PopError("the URL's query is not name=value") from None
    if set(query) != {"phone"} or len(query["phone"]) != 1:
        raise PopError("the URL must carry exactly one parameter, phone")
    return check_phone(query["phone"][0])


def endpoint(data_dir: Path) -> str:
    """The local socket of the profile whose data directory is `data_dir`: a path on POSIX (in the
    temporary directory: socket paths are short), a named pipe's name on Windows."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:20]
    name = f"liaison-{digest}"
    if sys.platform == "win32":
        return name
    return str(Path(tempfile.gettempdir()) / f"{name}.sock")


def encode_request(phone: str) -> bytes:
    return (json.dumps({"pop": {"phone": phone}}) + "\n").encode()


def decode_request(line: bytes) -> str:
    """The phone number of a request line; `PopError` for a malformed one."""
    if len(line) > MAX_LINE:
        raise PopError("the request is too long")
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PopError("the request is not JSON") from None
    shape = PopError('the request must be {"pop": {"phone": "…"}}')
    if not isinstance(value, dict) or set(value) != {"pop"}:
        raise shape
    pop = value["pop"]
    if not isinstance(pop, dict) or set(pop) != {"phone"} or not isinstance(pop["phone"], str):
        raise shape
    return check_phone(pop["phone"])


def encode_answer(error: str | None) -> bytes:
    return (json.dumps({"ok": True} if error is None else {"ok": False, "error": error}) + "\n").encode()


class NoInstance(OSError):
    """No Liaison Desk is running for the profile."""


def _exchange_posix(address: str, request: bytes, timeout_s: float) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise NoInstance(str(exc)) from None
        sock.sendall(request)
        answer = b""
        while not answer.endswith(b"\n") and len(answer) <= MAX_LINE:
            chunk = sock.recv(MAX_LINE)
            if not chunk:
                break
            answer += chunk
        return answer


def _exchange_windows(name: str, request: bytes) -> bytes:
    try:
        pipe = open(rf"\\.\pipe\{name}", "r+b", buffering=0)  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise NoInstance(str(exc)) from None
    with pipe:
        pipe.write(request)
        answer = b""
        while not answer.endswith(b"\n") and len(answer) <= MAX_LINE:
            chunk = pipe.read(1)
            if not chunk:
                break
            answer += chunk
        return answer


def send_pop(data_dir: Path, phone: str, *, timeout_s: float = TIMEOUT_S) -> None:
    """Ask the instance of `data_dir` to pop `phone`; returns once it acknowledged.

    `NoInstance` when nobody listens; `PopError` when the instance refused the request."""
    address = endpoint(data_dir)
    request = encode_request(check_phone(phone))
    if sys.platform == "win32":
        answer = _exchange_windows(address, request)
    else:
        answer = _exchange_posix(address, request, timeout_s)
    try:
        value = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PopError("the running Liaison Desk gave no readable answer") from None
    if not isinstance(value, dict) or value.get("ok") is not True:
        error = value.get("error") if isinstance(value, dict) else None
        raise PopError(f"the running Liaison Desk refused the pop: {error or 'no reason given'}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="liaison pop", description="Pop a caller's number in the running Liaison Desk of a profile."
    )
    parser.add_argument("--phone", required=True, metavar="NUMBER", help="the caller's number")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR", help="the profile directory")
    return parser.parse_args(list(argv))


def run(phone: str, profile: Path | None) -> int:
    """Send one pop for the profile; print what went wrong on stderr; the exit status."""
    from desktop.services.settings import resolve_paths

    try:
        checked = check_phone(phone)
    except PopError as exc:
        sys.stderr.write(f"liaison pop: {exc}\n")
        return EXIT_BAD_INPUT
    data_dir = resolve_paths(profile).data_dir
    try:
        send_pop(data_dir, checked)
    except NoInstance:
        sys.stderr.write(
            f"liaison pop: Liaison Desk is not running for this profile ({data_dir}); start it and sign in first\n"
        )
        return EXIT_NO_INSTANCE
    except PopError as exc:
        sys.stderr.write(f"liaison pop: {exc}\n")
        return EXIT_REFUSED
    except OSError as exc:
        sys.stderr.write(f"liaison pop: could not reach the running Liaison Desk: {exc}\n")
        return EXIT_NO_INSTANCE
    return 0


def main(argv: Sequence[str]) -> int:
    """`liaison pop …` (argv after `pop`)."""
    args = parse_args(argv)
    return run(args.phone, args.profile)


def is_pop_url(argument: str) -> bool:
    """Whether a first command-line argument is meant as a `liaison://` URL."""
    return argument.lower().startswith(f"{URL_SCHEME}:")


def main_url(argv: Sequence[str]) -> int:
    """`liaison liaison://pop?phone=… [--profile DIR]` (the URL handler's form)."""
    parser = argparse.ArgumentParser(prog="liaison", description="Pop the number of a liaison://pop URL.")
    parser.add_argument("url", metavar="URL")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR", help="the profile directory")
    args = parser.parse_args(list(argv))
    try:
        phone = parse_pop_url(args.url)
    except PopError as exc:
        sys.stderr.write(f"liaison: {exc}\n")
        return EXIT_BAD_INPUT
    return run(phone, args.profile)
