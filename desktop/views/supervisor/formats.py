"""How the supervisor's numbers read: durations as m:ss (h:mm:ss past an hour), rates in percent,
"—" for nothing to show yet (the words for agent states: `views/agent_state_text.py`)."""

from desktop.views.i18n import tr

NOTHING = "—"


def duration(seconds: float | None) -> str:
    """`0:42`, `12:05`, `1:02:09`; "—" for None."""
    if seconds is None:
        return NOTHING
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(value: float | None) -> str:
    """A value already in percent (81, 2.4) with its sign; "—" for None."""
    if value is None:
        return NOTHING
    return tr("{value} %").format(value=value)


def fraction(value: float | None) -> str:
    """A 0-1 fraction as a whole percentage; "—" for None."""
    return NOTHING if value is None else tr("{value} %").format(value=round(value * 100))
