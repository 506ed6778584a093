"""Screen pop in the window: a phone number in, the right customer screen (or a chooser, or "new
customer" with the number) out.

`ScreenPopper.pop(phone, e164=…, token=…)` resolves from the cache on the GUI thread (one indexed
query, `services.screen_pop.resolve` without a lookup) and opens the customer at once; only when the
cache holds nobody does it ask the server, on a network worker (keyed, so a newer pop makes an
older answer stale). The `token` names what the pop is for (a contact id, or an outside request);
`customerChosen(token, customer_id)` says which customer the agent ended up with — the one popped,
the one chosen, or the one created or picked in "new customer" — so the wrap-up can log the
interaction on the right timeline.
"""

import logging
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QObject, Qt, Signal

from desktop.services.screen_pop import PopResult, needs_region, resolve
from desktop.views.agent.chooser import CustomerChooser
from desktop.views.agent.region import default_region
from desktop.views.i18n import tr

if TYPE_CHECKING:
    from desktop.views.context import ViewContext
    from desktop.views.main_window import MainWindow

log = logging.getLogger(__name__)

#: the task key of the server lookup: a newer pop makes an older lookup's answer stale
LOOKUP_KEY: Final = "agent-screen-pop"
MESSAGE_MS: Final = 10_000


class ScreenPopper(QObject):
    """Pops numbers into the window: customer tab, chooser, or new-customer dialog."""

    #: (token, customer id) — the customer the agent is now looking at for this pop
    customerChosen = Signal(str, str)  # noqa: N815 - Qt's naming
    #: a pop's outcome was shown (its PopResult): the tab, the chooser or the dialog is up
    popped = Signal(object)

    def __init__(self, window: "MainWindow", ctx: "ViewContext", *, region: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        #: national numbers are read in this region; None: `default_region` at each pop (the
        #: cache may not hold the territories yet when the window is built)
        self.region = region
        self.chooser: CustomerChooser | None = None
        self.last: PopResult | None = None

    def pop(self, phone: str, *, token: str, e164: str | None = None) -> PopResult:
        """Pop `phone` now from the cache; a server lookup follows on a worker when needed."""
        region = self.region
        if region is None and needs_region(phone, e164=e164):
            region = default_region(self.ctx)  # two cache reads: only for a national number
        result = resolve(self.ctx.cache, phone, e164=e164, region=region)
        api = self.ctx.api
        if result.needs_server and api is not None and not self.ctx.tasks.closed:
            cache = self.ctx.cache
            self.ctx.tasks.network(
                lambda: resolve(cache, phone, e164=e164, region=region, lookup=api.lookup_phone),
                done=lambda found: self.show(found, token),
                failed=lambda error: self._lookup_crashed(result, token, error),
                key=LOOKUP_KEY,
            )
            return result
        self.show(result, token)
        return result

    def show(self, result: PopResult, token: str) -> None:
        """Show what a pop found: one customer's tab, the chooser, or "new customer"."""
        self.last = result
        if result.lookup_error is not None:
            self.window.status.showMessage(
                tr("The server could not be asked about {phone} ({reason}).").format(
                    phone=result.phone, reason=result.lookup_error
                ),
                MESSAGE_MS,
            )
        if result.kind == "single":
            self._open(token, result.candidates[0].customer_id)
        elif result.kind == "choose":
            self._choose(result, token)
        else:
            self._new_customer(result, token)
        self.popped.emit(result)

    def _open(self, token: str, customer_id: str) -> None:
        self.window.open_customer(customer_id)
        self.customerChosen.emit(token, customer_id)

    def _choose(self, result: PopResult, token: str) -> None:
        if self.chooser is not None:
            self.chooser.reject()  # a newer pop replaces an unanswered chooser
        chooser = CustomerChooser(result.e164 or result.phone, result.candidates, self.window)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.chosen.connect(lambda customer_id: self._open(token, customer_id))
        chooser.newCustomer.connect(lambda: self._new_customer(result, token))
        chooser.finished.connect(lambda _r, c=chooser: self._chooser_closed(c))
        self.chooser = chooser
        chooser.open()

    def _chooser_closed(self, chooser: CustomerChooser) -> None:
        if self.chooser is chooser:
            self.chooser = None

    def _new_customer(self, result: PopResult, token: str) -> None:
        dialog = self.window.open_new_customer(phone=result.e164 or result.phone)
        if dialog is None:
            return
        dialog.created.connect(lambda customer_id: self.customerChosen.emit(token, customer_id))
        dialog.openExisting.connect(lambda customer_id: self.customerChosen.emit(token, customer_id))

    def _lookup_crashed(self, cached: PopResult, token: str, error: BaseException) -> None:
        log.warning("screen pop lookup crashed: %s", type(error).__name__, exc_info=error)
        self.show(cached, token)
