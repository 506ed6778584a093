"""SLA countdowns for open cases: the state (on time, near due, breached) and the words for it.

Amber when the case is due within `NEAR_DUE`, red once the due time has passed. The colours are the
current theme's `warning` and `danger` tokens (`desktop/views/theme.py`), each paired with black or
white text, whichever reads better on it, so the pair is readable in the light and the dark theme.
"""

from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from PySide6.QtGui import QColor

from desktop.views.i18n import tr
from desktop.views.theme import current_theme

SlaState = Literal["none", "ok", "near", "breached"]
#: a case due within this is shown amber
NEAR_DUE: Final = timedelta(hours=2)


def parse_due(due: str | None) -> datetime | None:
    """An aware datetime from the case's `sla_due_at`; None when there is none or it does not parse."""
    if not due:
        return None
    try:
        parsed = datetime.fromisoformat(due)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def sla_state(due: str | None, now: datetime) -> SlaState:
    when = parse_due(due)
    if when is None:
        return "none"
    if when <= now:
        return "breached"
    if when - now <= NEAR_DUE:
        return "near"
    return "ok"


def _span(delta: timedelta, *, coarse: bool = False) -> str:
    """`2 d 5 h`, `1 h 05 min`, `12 min`; `coarse` keeps only the largest unit (`2 d`, `5 h`)."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return tr("{d} d").format(d=days) if coarse else tr("{d} d {h} h").format(d=days, h=hours)
    if hours:
        return tr("{h} h").format(h=hours) if coarse else tr("{h} h {m:02d} min").format(h=hours, m=mins)
    return tr("{m} min").format(m=mins)


def countdown(due: str | None, now: datetime) -> str:
    """Time left (`1 h 05 min`, rounded up to the minute), `overdue 12 min` (`overdue 3 d`: past
    an hour only the largest unit, so the column stays narrow), or `no SLA`."""
    when = parse_due(due)
    if when is None:
        return tr("no SLA")
    if when <= now:
        return tr("overdue {span}").format(span=_span(now - when, coarse=True))
    return _span(when - now + timedelta(seconds=59))


def text_on(background: QColor) -> QColor:
    """Black or white, whichever contrasts more with `background` (WCAG relative luminance)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * channel(background.redF())
        + 0.7152 * channel(background.greenF())
        + 0.0722 * channel(background.blueF())
    )
    return QColor("#000000") if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else QColor("#ffffff")


def sla_colours(state: SlaState) -> tuple[QColor, QColor] | None:
    """(background, text) for a warning state; None when the palette's own colours are right."""
    if state not in ("near", "breached"):
        return None
    chosen = current_theme()
    background = QColor(chosen.warning if state == "near" else chosen.danger)
    return background, text_on(background)
