"""The recommended-offers panel of the customer screen: at most three offers, each with its title,
its catalog price, the one line saying why, and Accept / Decline / Not now with an optional reason.

Ranking runs locally on the synced model (`services.offers`), so the panel works offline; an answer
is a local append written on the task runner's write lane and pushed by the sync engine later.
When there are no offers the panel says plainly why (no marketing consent, do-not-contact, nothing
eligible). The `ref` model is read once per cache (one per session) and shared by every screen's
panel; a `ChangeHub` change that touches it, or this customer's holdings, answers or cases, ranks
again. The panel is built once and refilled (`show_customer`), like the screen that holds it: three
cards made up front, shown or hidden. Colours come from the palette (light and dark themes alike).
"""

import weakref
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.services.offers import (
    MAX_REASON,
    OfferModelCache,
    OfferResponseError,
    ranking,
    record_response,
    touches,
)
from desktop.services.offers_explain import price_text
from desktop.services.offers_model import RankedOffer, Ranking
from desktop.services.offers_rank import MAX_SHOWN
from desktop.services.store import Changed, Writer
from desktop.views.customer.banners import mute
from desktop.views.i18n import tr
from desktop.views.message_label import error_label

if TYPE_CHECKING:
    from desktop.services.store import Cache
    from desktop.views.context import ViewContext

#: the answers, as (response value, button text, accessible verb)
ANSWERS: Final = (
    ("accepted", "Accept", "Accept"),
    ("declined", "Decline", "Decline"),
    ("not_now", "Not now", "Not now for"),
)

_MODELS: "weakref.WeakKeyDictionary[Cache, OfferModelCache]" = weakref.WeakKeyDictionary()


def session_models(cache: "Cache") -> OfferModelCache:
    """The one kept ranking model of this cache (of this session), shared by every panel."""
    found = _MODELS.get(cache)
    if found is None:
        found = OfferModelCache()
        _MODELS[cache] = found
    return found


class OfferCard(QFrame):
    """One offer: title and price, the reason line, an optional reason for the answer, three buttons."""

    answered = Signal(str, str, str)  # offer id, response, reason typed (may be empty)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("offerCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.offer_id = ""
        self.title_label = QLabel(self)
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.price_label = QLabel(self)
        self.price_label.setTextFormat(Qt.TextFormat.PlainText)
        self.price_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.price_label.setFont(font)
        self.reason_label = QLabel(self)
        self.reason_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_label.setWordWrap(True)
        self.pitch_label = mute(QLabel(self))
        self.pitch_label.setTextFormat(Qt.TextFormat.PlainText)
        self.pitch_label.setWordWrap(True)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setPlaceholderText(tr("Customer's reason (optional)"))
        self.reason_edit.setMaxLength(MAX_REASON)
        self.buttons: dict[str, QPushButton] = {}
        for response, text, _verb in ANSWERS:
            button = QPushButton(tr(text), self)
            button.clicked.connect(lambda _checked=False, r=response: self._answer(r))
            self.buttons[response] = button
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.price_label)
        layout.addLayout(head)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.pitch_label)
        layout.addWidget(self.reason_edit)
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def show_offer(self, ranked: RankedOffer) -> None:
        offer = ranked.offer
        if offer.id != self.offer_id:
            self.reason_edit.clear()
        self.offer_id = offer.id
        price = price_text(offer.price, offer.currency)
        self.title_label.setText(offer.title)
        self.price_label.setText(price)
        self.reason_label.setText(ranked.reason)
        self.pitch_label.setText(offer.pitch)
        self.pitch_label.setVisible(bool(offer.pitch))
        self.setAccessibleName(tr("Offer: {title}, {price}").format(title=offer.title, price=price))
        self.setAccessibleDescription(ranked.reason)
        self.price_label.setAccessibleName(tr("Price {price}").format(price=price))
        self.reason_label.setAccessibleName(tr("Why: {reason}").format(reason=ranked.reason))
        self.reason_edit.setAccessibleName(tr("Reason for the answer to {title}").format(title=offer.title))
        for response, _text, verb in ANSWERS:
            self.buttons[response].setAccessibleName(
                tr("{verb} {title}").format(verb=tr(verb), title=offer.title)
            )
            self.buttons[response].setEnabled(True)

    def _answer(self, response: str) -> None:
        for button in self.buttons.values():
            button.setEnabled(False)  # one answer per offer shown; the refresh re-enables the card
        self.answered.emit(self.offer_id, response, self.reason_edit.text())


class OffersPanel(QWidget):
    """Recommended offers for one customer, ranked on the local cache, with the agent's answers."""

    #: an answer was written locally (offer id, response): for the shell and tests
    recorded = Signal(str, str)

    def __init__(
        self, ctx: "ViewContext", parent: QWidget | None = None, *, clock: Callable[[], datetime]
    ) -> None:
        super().__init__(parent)
        self.setObjectName("offersPanel")
        self.setAccessibleName(tr("Recommended offers"))
        self._ctx = ctx
        self._clock = clock
        self._models = session_models(ctx.cache)
        self._customer_id: str | None = None
        self.current: Ranking | None = None
        self.notice = mute(QLabel(self))
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setObjectName("offersNotice")
        self.error = error_label(self)
        self.cards = [OfferCard(self) for _ in range(MAX_SHOWN)]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice)
        for card in self.cards:
            card.answered.connect(self._answer)
            card.hide()
            layout.addWidget(card)
        layout.addWidget(self.error)
        ctx.hub.changed.connect(self._on_changed)

    @property
    def customer_id(self) -> str | None:
        return self._customer_id

    def show_customer(self, customer_id: str | None) -> None:
        """Rank and show this customer's offers (None empties the panel: a spare screen)."""
        if customer_id != self._customer_id:
            self.error.hide()
            for card in self.cards:
                card.reason_edit.clear()
        self._customer_id = customer_id
        self.refresh()

    def refresh(self) -> None:
        cid = self._customer_id
        result: Ranking | None = None
        if cid is not None:
            with self._ctx.cache.read() as conn:
                result = ranking(conn, self._models, cid, self._clock())
        self.current = result
        shown = result.offers if result is not None else ()
        for card, ranked in zip(self.cards, shown, strict=False):
            card.show_offer(ranked)
            card.show()
        for card in self.cards[len(shown) :]:
            card.hide()
            card.offer_id = ""
        notice = result.notice if result is not None else None
        self.notice.setText(tr(notice) if notice else "")
        self.notice.setAccessibleName(tr(notice) if notice else "")
        self.notice.setVisible(bool(notice))

    def visible_offers(self) -> list[str]:
        """The ids of the offers shown, top first."""
        return [card.offer_id for card in self.cards if not card.isHidden()]

    def card_for(self, offer_id: str) -> OfferCard | None:
        return next((c for c in self.cards if c.offer_id == offer_id and not c.isHidden()), None)

    def _on_changed(self, changed: Changed) -> None:
        cid = self._customer_id
        stale = self._models.note(changed)
        if cid is None:
            return
        if not stale:
            with self._ctx.cache.read() as conn:
                if not touches(conn, changed, cid):
                    return
        self.refresh()

    def _answer(self, offer_id: str, response: str, reason: str) -> None:
        cid, user = self._customer_id, self._ctx.user
        if cid is None or not offer_id:
            return
        at = self._clock()

        def work(writer: Writer) -> Changed:
            return record_response(writer, cid, offer_id, response, user, reason=reason, at=at)[1]

        def done(changed: Changed) -> None:
            self.error.hide()
            self._ctx.hub.publish(changed)
            self._ctx.request_sync()
            self.recorded.emit(offer_id, response)

        def failed(exc: BaseException) -> None:
            message = (
                str(exc) if isinstance(exc, OfferResponseError) else tr("The answer could not be saved.")
            )
            self.error.setText(message)
            self.error.show()
            self.refresh()

        self._ctx.tasks.write(work, done=done, failed=failed)
