"""The words for agent states and not-ready reasons (METRICS.md), shared by the agent's state
control and the supervisor's agent board. Unknown values (a newer server) are shown as they came."""

from desktop.views.i18n import tr


def state_label(state: str) -> str:
    labels = {
        "offline": tr("Offline"),
        "available": tr("Available"),
        "reserved": tr("Ringing"),
        "on_contact": tr("On contact"),
        "acw": tr("After-contact work"),
        "not_ready": tr("Not ready"),
    }
    return labels.get(state, state)


def reason_label(reason: str | None) -> str:
    """The reason of "not ready"; "" for none."""
    if reason is None:
        return ""
    labels = {
        "break": tr("Break"),
        "lunch": tr("Lunch"),
        "training": tr("Training"),
        "meeting": tr("Meeting"),
        "coaching": tr("Coaching"),
        "other": tr("Other"),
    }
    return labels.get(reason, reason)
