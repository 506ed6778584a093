"""`attach_agent(window, ctx)`: the agent's contact-centre parts for a main window, when the user
is an agent (called once from `MainWindow.__init__`; imported there lazily, so a window of a user
without the role never loads this package)."""

from typing import TYPE_CHECKING, Final

from desktop.views.agent.desk import AgentDesk

if TYPE_CHECKING:
    from desktop.views.context import ViewContext
    from desktop.views.main_window import MainWindow

#: the object name of the popper made for outside pops in a window without an agent desk
OUTSIDE_POPPER: Final = "outsidePopper"


def attach_agent(window: "MainWindow", ctx: "ViewContext") -> AgentDesk | None:
    """Build the agent desk (state control, contact bar, pops, wrap-up) for an agent; None otherwise
    (no agent role, or no API client: a session without a server)."""
    user = ctx.user
    if user is None or "agent" not in user.roles or ctx.api is None:
        return None
    return AgentDesk(window, ctx)


def pop_from_outside(window: "MainWindow", phone: str) -> None:
    """An outside screen pop (`liaison pop`, `liaison://pop`): through the agent desk when there is
    one, else a plain pop (no call controls either way) — any signed-in user may be popped to."""
    desk = window.agent_desk
    if desk is not None:
        desk.pop_number(phone)
        return
    ctx = window.ctx
    if ctx is None:
        return
    from desktop.views.agent.pop import ScreenPopper

    popper = window.findChild(ScreenPopper, OUTSIDE_POPPER)
    if not isinstance(popper, ScreenPopper):
        popper = ScreenPopper(window, ctx)
        popper.setObjectName(OUTSIDE_POPPER)
    window.raise_()
    window.activateWindow()
    popper.pop(phone, token="outside")  # noqa: S106 - a pop's name, not a secret
