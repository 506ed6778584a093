"""The supervisor's offer acceptance report: fetched from the server, turned into sortable lines.

`fetch_acceptance(api, days)` asks `GET /api/v1/offers/acceptance?days=N` (supervisor or admin; see
docs/offers.md) on the caller's thread (the network lane) and decodes it with the wire model, so a
malformed answer fails there, never in a view. `lines_by_offer` and `lines_by_queue` give the rows
the tables show, one shape for both; `sorted_lines` orders them by any column (names without
regard to case, figures by value, ties by name), so the table model sorts its own list and never goes
through a proxy calling Python `data()` per comparison.

Qt-free on purpose: the window selector, the decoding and the ordering are tested without widgets.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from wire.offers import AcceptanceReport, AcceptanceRow

if TYPE_CHECKING:
    from desktop.services.api import ApiClient

ACCEPTANCE_PATH: Final = "/api/v1/offers/acceptance"
#: the windows the supervisor can choose, in days (the server takes 1 to its MAX_DAYS)
WINDOWS: Final = (7, 30, 90)
DEFAULT_WINDOW: Final = 30
#: the figures of a line, in column order after the name
FIGURES: Final = ("offered", "accepted", "declined", "not_now", "rate")


@dataclass(frozen=True, slots=True)
class AcceptanceLine:
    """One row of a table: an offer or a queue and how customers answered it."""

    key: str  # offer id, queue id, or "" for responses made outside a queue
    name: str
    offered: int
    accepted: int
    declined: int
    not_now: int
    rate: float  # accepted / offered, 0-1 (0 when nothing was offered)

    def figure(self, column: int) -> int | float:
        """The figure of column `column` (1 = offered … 5 = rate; 0 is the name)."""
        value: int | float = getattr(self, FIGURES[column - 1])
        return value


def _line(key: str, name: str, row: AcceptanceRow) -> AcceptanceLine:
    return AcceptanceLine(
        key=key,
        name=name,
        offered=row.offered,
        accepted=row.accepted,
        declined=row.declined,
        not_now=row.not_now,
        rate=row.rate,
    )


def lines_by_offer(report: AcceptanceReport) -> list[AcceptanceLine]:
    """The per-offer lines, in the server's order (most responses first)."""
    return [_line(row.offer_id, row.title, row) for row in report.by_offer]


def lines_by_queue(report: AcceptanceReport) -> list[AcceptanceLine]:
    """The per-queue lines, in the server's order ("no queue" last)."""
    return [_line(row.queue_id or "", row.queue_name, row) for row in report.by_queue]


def sorted_lines(lines: Iterable[AcceptanceLine], column: int, *, descending: bool) -> list[AcceptanceLine]:
    """`lines` ordered by `column` (0 = name, then FIGURES); equal figures stay in name order
    (A to Z) whichever way the column is sorted, so a tie never flips with the direction."""
    if not 0 <= column <= len(FIGURES):
        raise ValueError(f"no column {column}")
    by_name = sorted(lines, key=lambda line: (line.name.casefold(), line.key))
    if column == 0:
        return by_name[::-1] if descending else by_name
    attribute = FIGURES[column - 1]
    # sort() is stable, with reverse=True too: ties keep the name order
    by_name.sort(key=lambda line: getattr(line, attribute), reverse=descending)
    return by_name


def parse_window(value: object) -> int:
    """A remembered window (settings hold text) as one of WINDOWS; anything else is the default."""
    try:
        days = int(str(value))
    except ValueError:
        return DEFAULT_WINDOW
    return days if days in WINDOWS else DEFAULT_WINDOW


def fetch_acceptance(api: "ApiClient", days: int) -> AcceptanceReport:
    """The report of the last `days` days (network lane: blocks). Raises the client's typed
    `ApiError`s (Forbidden for an agent, TransportError when the server is down) and pydantic's
    ValidationError for an answer that is not a report."""
    if days not in WINDOWS:
        raise ValueError(f"days must be one of {WINDOWS}")
    body = api.send("GET", ACCEPTANCE_PATH, params={"days": days}, retry=True)
    return AcceptanceReport.model_validate_json(body)
