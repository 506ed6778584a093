"""The real call simulator (`server/simulator/`) in a thread of the test, against the gui_server.

It is the engine and runner that `liaison-server simulate` and `serve --simulate` use, in real
time with real-agent support (it polls GET /api/v1/telephony/state and offers contacts to the
signed-in desktop agent), set up for a GUI test: one queue (the agent's) with a steady arrival
rate all day long (a flat profile, so the hour the test runs at does not matter), no simulated
agents (the signed-in agent is the only one who can take a contact), callers who never hang up,
and only known numbers that each belong to one customer (so every contact pops one customer).
The ring timeout is a parameter: long for a test that answers, short for one that lets it ring out.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

import httpx

from server.simulator.callers import CallerBook
from server.simulator.clock import SimClock
from server.simulator.engine import Engine
from server.simulator.model import (
    CallerMix,
    DailyProfile,
    Distributions,
    QueueLoad,
    SimulationConfig,
    Weibull,
)
from server.simulator.real_agents import StatePoller
from server.simulator.runner import RunReport, run_realtime
from server.simulator.setup import http_client
from server.simulator.sink import HttpSink
from tests.gui.agent.phone_system import TIMEOUT_S, create_integration_key
from tests.gui.conftest import GuiServer
from wire.telephony import ContactOffered, ContactQueued, ContactRouted, TelephonyEvent

#: the same arrival rate at every hour of the day
FLAT_PROFILE = DailyProfile((1.0,) * 24)
#: callers wait practically for ever: no abandon interferes with a test
PATIENT = Weibull(scale_s=1e7, shape=1.0)


@dataclass(frozen=True)
class SimulatorSetup:
    """What the simulated contact centre looks like for the test."""

    queue_id: str
    #: the callers' numbers (all known customers': no withheld or unknown callers)
    numbers: Sequence[str]
    seed: int = 5
    #: contacts per hour arriving in the queue (a few a minute: one comes within seconds)
    rate_per_h: float = 900.0
    #: simulated seconds an offered contact rings before it goes back to the queue
    ring_timeout_s: float = 600.0
    #: simulated seconds per wall second
    speed: float = 1.0

    def engine(self) -> Engine:
        durations = Distributions(patience=PATIENT, ring_timeout_s=self.ring_timeout_s)
        config = SimulationConfig(
            seed=self.seed,
            queues=[QueueLoad(self.queue_id, "Queue 1", self.rate_per_h)],
            agents=0,
            profile=FLAT_PROFILE,
            durations=durations,
            callers=CallerMix(unknown_share=0.0, withheld_share=0.0),
        )
        mix = config.callers
        return Engine(config, SimClock(datetime.now(UTC), speed=self.speed), CallerBook(self.numbers, mix))


@dataclass
class SimulatorDriver:
    """Runs one simulation in a thread until `stop()`; `log()` is what it posted so far, in order."""

    url: str
    key: str
    setup: SimulatorSetup
    engine: Engine = field(init=False)
    report: RunReport | None = field(default=None, init=False)
    failure: BaseException | None = field(default=None, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.engine = self.setup.engine()

    @classmethod
    def for_server(cls, server: GuiServer, setup: SimulatorSetup) -> "SimulatorDriver":
        """A driver with its own integration key in the server's database (as an operator makes one)."""
        return cls(server.url, create_integration_key(server.db_url, "liaison-simulator (test)"), setup)

    @property
    def run(self) -> str:
        """The run's id: the prefix of every contact id it makes."""
        return self.engine.run

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="test-call-simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with http_client(self.url) as client:
                client.timeout = httpx.Timeout(TIMEOUT_S)
                sink = HttpSink(client, self.key, stop=self._stop)
                poller = StatePoller(client, self.key)
                self.report = run_realtime(self.engine, sink, self._stop, poller=poller)
        except BaseException as exc:  # handed to the test by stop()
            self.failure = exc

    def stop(self) -> RunReport:
        """Stop the run, join its thread and hand back its report (or raise what failed it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(TIMEOUT_S)
            assert not self._thread.is_alive(), "the simulator did not stop"
        if self.failure is not None:
            raise AssertionError("the simulator failed") from self.failure
        assert self.report is not None
        return self.report

    def __enter__(self) -> "SimulatorDriver":
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        report = self.stop()
        if kind is None:
            assert report.rejected == 0, f"the server rejected simulator events: {report.summary()}"

    # -- the event log ---------------------------------------------------------------------------------

    def log(self) -> list[TelephonyEvent]:
        """A snapshot of every event the simulator emitted, in order (the thread keeps appending)."""
        return list(self.engine.log)

    def of_contact(self, contact_id: str) -> list[TelephonyEvent]:
        return [e for e in self.log() if getattr(e, "contact_id", None) == contact_id]

    def phone_of(self, contact_id: str) -> str | None:
        """The caller's number, as the simulator's `contact_offered` gave it."""
        offered = [e for e in self.of_contact(contact_id) if isinstance(e, ContactOffered)]
        assert len(offered) == 1, offered
        return offered[0].phone

    def routings(self, contact_id: str) -> list[str]:
        """The agents the contact was routed to, in order."""
        return [e.agent_id for e in self.of_contact(contact_id) if isinstance(e, ContactRouted)]

    def queued_count(self, contact_id: str) -> int:
        """How often the contact was (re)queued: 1 on arrival, plus one per ring timeout."""
        return sum(isinstance(e, ContactQueued) for e in self.of_contact(contact_id))
