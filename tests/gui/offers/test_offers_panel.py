"""The offers panel with real widgets on a real cache: the top offers with price and reason, plain
words when there are none, an answer clicked is written and the offer leaves, a synced change ranks
again, the customer screen feeds it, and both themes reach it through the palette."""

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.services import offers_explain as say
from desktop.services.store import apply_page
from desktop.services.store.outbox import entries_for
from desktop.views.context import ViewContext
from desktop.views.customer.offers_panel import OffersPanel, session_models
from desktop.views.customer.screen import CustomerScreen
from desktop.views.theme import DARK, LIGHT, Theme, apply_theme
from tests.gui.customer.conftest import SyncRequests
from tests.offers_desktop.cached import AC_OFFER, ANA, BEN, CARA, FAN_OFFER, MESH_OFFER, NOW, change, iso

pytestmark = pytest.mark.gui


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


@pytest.fixture
def panel(qtbot: QtBot, ctx: ViewContext) -> OffersPanel:
    made = OffersPanel(ctx, clock=lambda: NOW)
    qtbot.addWidget(made)
    made.resize(360, 600)
    made.show()
    qtbot.waitExposed(made)
    return made


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application, with its style sheet, palette, font and theme put back after the test."""
    sheet, palette, font = qapp.styleSheet(), qapp.palette(), qapp.font()
    theme_name = qapp.property("liaisonTheme")
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)
    qapp.setProperty("liaisonTheme", theme_name)


def test_the_top_offers_show_title_catalog_price_and_reason(panel: OffersPanel) -> None:
    panel.show_customer(ANA)
    assert panel.visible_offers() == [MESH_OFFER, FAN_OFFER, AC_OFFER]
    mesh = panel.cards[0]
    assert mesh.title_label.text() == "Add Mesh Wi-Fi"
    assert mesh.price_label.text() == "€8.00"  # the offer's price, not the product's list price (10.00)
    assert mesh.reason_label.text() == (
        "Customers with Fibre 500 often add Mesh Wi-Fi — 3.1\N{MULTIPLICATION SIGN} more likely"
    )
    assert panel.cards[1].reason_label.text().startswith("Heatwave forecast in Andalusia")
    assert not panel.notice.isVisibleTo(panel)
    # nothing on the panel names the sensitive purchase (a Health Monitor Watch)
    texts = [w.text() for card in panel.cards for w in (card.title_label, card.reason_label)]
    assert not any("Health" in t or "Watch" in t for t in texts)
    # accessible names for a screen reader
    assert mesh.accessibleName() == "Offer: Add Mesh Wi-Fi, €8.00"
    assert mesh.buttons["accepted"].accessibleName() == "Accept Add Mesh Wi-Fi"
    assert mesh.buttons["not_now"].accessibleName() == "Not now for Add Mesh Wi-Fi"
    assert mesh.reason_edit.accessibleName() == "Reason for the answer to Add Mesh Wi-Fi"


@pytest.mark.parametrize(
    ("customer_id", "notice"), [(BEN, say.no_consent()), (CARA, say.do_not_contact())], ids=["consent", "dnc"]
)
def test_no_offers_says_plainly_why(panel: OffersPanel, customer_id: str, notice: str) -> None:
    panel.show_customer(ANA)
    panel.show_customer(customer_id)
    assert panel.visible_offers() == []
    assert panel.notice.isVisibleTo(panel) and panel.notice.text() == notice
    assert panel.notice.accessibleName() == notice


def test_a_decline_clicked_with_a_reason_is_written_and_the_offer_leaves(
    qtbot: QtBot, panel: OffersPanel, ctx: ViewContext, sync_requests: SyncRequests
) -> None:
    panel.show_customer(ANA)
    card = panel.card_for(MESH_OFFER)
    assert card is not None
    qtbot.keyClicks(card.reason_edit, "Already has a mesh")
    with qtbot.waitSignal(panel.recorded, timeout=10_000) as recorded:
        click(qtbot, card.buttons["declined"])
    assert recorded.args == [MESH_OFFER, "declined"]
    assert panel.visible_offers() == [FAN_OFFER, AC_OFFER]
    assert sync_requests.count == 1
    with ctx.cache.read() as conn:
        rows = conn.exec_driver_sql("SELECT id, response, reason, agent_id FROM offer_response").all()
        assert len(rows) == 1
        assert tuple(rows[0][1:]) == ("declined", "Already has a mesh", "u-agent")
        assert [e.op for e in entries_for(conn, "offer_response", str(rows[0][0]))] == ["append"]
    assert panel.cards[0].reason_edit.text() == ""  # the next offer's card starts without a reason


def test_a_synced_holding_of_this_customer_ranks_again_another_customers_does_not(
    panel: OffersPanel, ctx: ViewContext
) -> None:
    panel.show_customer(ANA)
    before = panel.current
    other = apply_page(
        ctx.cache.writer,
        "directory",
        [change("holding", "h-9", customer_id=BEN, product_id="p-CL-FAN", since=iso(-1))],
        "d2",
    )
    ctx.hub.publish(other)
    assert panel.current is before  # not ranked again
    mine = apply_page(
        ctx.cache.writer,
        "directory",
        [change("holding", "h-8", customer_id=ANA, product_id="p-CL-FAN", since=iso(-1))],
        "d3",
    )
    ctx.hub.publish(mine)
    assert panel.current is not before
    assert panel.visible_offers() == [MESH_OFFER, AC_OFFER]  # the fan is held now


def test_the_customer_screen_feeds_its_panel_and_panels_share_the_model(
    qtbot: QtBot, ctx: ViewContext
) -> None:
    screen = CustomerScreen(ctx, ANA, clock=lambda: NOW)
    qtbot.addWidget(screen)
    panel = screen.offers_slot.panel
    assert panel is not None and panel.customer_id == ANA
    assert panel.visible_offers() == [MESH_OFFER, FAN_OFFER, AC_OFFER]
    assert not screen.offers_slot.placeholder.isVisibleTo(screen)
    screen.show_customer(BEN)
    assert panel.visible_offers() == [] and panel.notice.text() == say.no_consent()
    screen.show_customer(None)
    assert panel.customer_id is None and panel.visible_offers() == [] and not panel.notice.isVisibleTo(screen)
    second = CustomerScreen(ctx, ANA, clock=lambda: NOW)
    qtbot.addWidget(second)
    assert session_models(ctx.cache).loads == 1  # the ref model is read once per session


@pytest.mark.parametrize("chosen", [LIGHT, DARK], ids=["light", "dark"])
def test_the_panel_takes_the_themes_palette(
    qtbot: QtBot, ctx: ViewContext, app: QApplication, chosen: Theme
) -> None:
    apply_theme(app, chosen.name)
    made = OffersPanel(ctx, clock=lambda: NOW)
    qtbot.addWidget(made)
    made.show_customer(ANA)
    made.show()
    qtbot.waitExposed(made)
    card = made.cards[0]
    assert card.palette().color(QPalette.ColorRole.WindowText) == QColor(chosen.text)
    assert card.reason_label.palette().color(QPalette.ColorRole.WindowText) == QColor(chosen.text)
    # painted: the card's inside is the theme's surface, and its title is drawn in the theme's text
    image = made.grab().toImage()
    inside = card.geometry().topLeft() + card.contentsRect().topLeft() + QPoint(2, 2)
    assert image.pixelColor(inside) == QColor(chosen.surface)
    title = card.title_label.geometry().translated(card.geometry().topLeft())
    inks = {
        image.pixelColor(x, y).name()
        for x in range(title.left(), title.right())
        for y in range(title.top(), title.bottom())
    }
    assert QColor(chosen.text).name() in inks
