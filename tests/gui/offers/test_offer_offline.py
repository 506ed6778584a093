"""Acceptance (issue 6): an offer accepted in the panel while the server is down reaches the server
exactly once after it comes back.

The real server (behind the fixed-port proxy) gets a small catalog (Fibre 500, Mesh Wi-Fi, TV and
the "Add Mesh Wi-Fi" offer), customers whose holdings make "Fibre 500 → Mesh Wi-Fi" a rule of the
server's own affinity model (computed before it starts), and Ada Lovelace, who consents to marketing
and holds Fibre 500. Signed in, the agent opens Ada: the panel shows the offer, ranked on the synced model.
With the server stopped, a reason typed and Accept clicked: the offer leaves the panel, the status
bar says "1 pending" and "Offline". When the server is back the engine's retry sends it: "0 pending",
"Online", and the server holds exactly one response, accepted, with the reason and the agent.
"""

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.views.customer.offers_panel import OffersPanel
from desktop.views.customer.screen import CustomerScreen
from desktop.views.main_window import MainWindow
from server.db.engine import Database
from server.offers.affinity import recompute
from server.offers.settings import ModelSettings
from server.sync.changes import ChangeWriter
from tests.gui import test_shell
from tests.gui.conftest import GuiSeed, GuiServer, wait_for
from tests.gui.test_shell import ShellFactory, first_sync_done, signed_in_window
from tests.support.fault_proxy import FaultProxy, ToxicConfig

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("keyring_file")]

paths = test_shell.paths
make_shell = test_shell.make_shell

REASON = "Wants better coverage upstairs"
PUSH_REQUEST = b"POST /api/v1/sync/push"


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


#: baskets that make "Fibre 500 → Mesh Wi-Fi" a rule of the server's model (at least 20 pairs, lift
#: about 2): (customers, products each holds)
BASKETS = ((24, ("fibre", "mesh")), (8, ("fibre",)), (40, ("tv",)), (2, ("mesh",)))


def add_catalog(path: Path, seed: GuiSeed) -> str:
    """Products, the offer, holdings that make the affinity, Ada's consent and her Fibre 500, written
    as the server writes synced rows; then the server's own model computation. Returns the offer id."""
    ada = seed.customer_ids[0]
    territory = seed.data.territory_ids[0]
    ids = {name: str(uuid.uuid4()) for name in ("fibre", "mesh", "tv", "offer")}
    since = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as conn:
            writer = ChangeWriter(conn)
            for name, sku, title, category in (
                ("fibre", "BB-FIB500", "Fibre 500", "broadband"),
                ("mesh", "SH-MESH", "Mesh Wi-Fi", "smart home"),
                ("tv", "TV-ESS", "TV Essentials", "tv"),
            ):
                product = {"sku": sku, "name": title, "category": category, "list_price": 10.0, "margin": 0.5}
                writer.insert("product", {"id": ids[name], "sensitive": False, **product})
            offer = {
                "title": "Add Mesh Wi-Fi",
                "pitch": "Whole-home coverage.",
                "price": 8.0,
                "currency": "EUR",
            }
            writer.insert(
                "offer",
                {
                    "id": ids["offer"],
                    "product_id": ids["mesh"],
                    "category": "smart home",
                    "sensitive": False,
                    "regions": [],
                    "segments": [],
                    "margin": 0.55,
                    **offer,
                },
            )
            owners: list[tuple[str, tuple[str, ...]]] = [(ada, ("fibre",))]
            for count, products in BASKETS:
                for i in range(count):
                    cid = str(uuid.uuid4())
                    writer.insert(
                        "customer",
                        {"id": cid, "display_name": f"Basket {i} {products}", "territory_id": territory},
                    )
                    owners.append((cid, products))
            for cid, products in owners:
                for name in products:
                    writer.insert(
                        "holding",
                        {
                            "id": str(uuid.uuid4()),
                            "customer_id": cid,
                            "product_id": ids[name],
                            "channel": "store",
                            "price_paid": 9.0,
                            "since": since,
                        },
                    )
            writer.update("customer", ada, {"consent_marketing": True})
            writer.notify()
        report = recompute(db, ModelSettings())
        assert report.rules >= 1
    finally:
        db.dispose()
    return ids["offer"]


@dataclass
class OffersServer(GuiServer):
    """The GUI tests' server, with the id of the offer it was given."""

    offer_id: str = ""


@pytest.fixture
def gui_server(tmp_path: Path, _gui_template: tuple[Path, GuiSeed]) -> Iterator[OffersServer]:
    """`tests/gui/conftest.py`'s server, with the catalog and the model in place before it starts
    (so its start-up recomputation finds the model fresh)."""
    source, seed = _gui_template
    target = tmp_path / "server" / "server.db"
    target.parent.mkdir()
    for suffix in ("", "-wal", "-shm"):
        copy = source.with_name(source.name + suffix)
        if copy.exists():
            shutil.copyfile(copy, target.with_name(target.name + suffix))
    offer = add_catalog(target, seed)
    proxy = FaultProxy(upstream_port=1).start()
    server = OffersServer(path=target, seed=seed, proxy=proxy, offer_id=offer)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        proxy.stop()


def open_offer(
    qtbot: QtBot, make_shell: ShellFactory, server: OffersServer
) -> tuple[MainWindow, OffersPanel]:
    """Sign in, sync, open Ada; returns the window and her offers panel once it shows the offer."""
    shell = make_shell()
    window = signed_in_window(qtbot, shell)
    first_sync_done(qtbot, shell)
    window.open_customer(server.seed.customer_ids[0])
    assert window.tabs is not None
    screen = window.tabs.current_screen()
    assert isinstance(screen, CustomerScreen)
    panel = screen.offers_slot.panel
    assert panel is not None
    wait_for(qtbot, lambda: panel.visible_offers() == [server.offer_id])
    return window, panel


def test_an_offer_accepted_offline_reaches_the_server_exactly_once(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: OffersServer
) -> None:
    ada, offer = gui_server.seed.customer_ids[0], gui_server.offer_id
    window, panel = open_offer(qtbot, make_shell, gui_server)
    bar = window.status
    card = panel.card_for(offer)
    assert card is not None and card.price_label.text() == "€8.00"
    assert card.reason_label.text().startswith("Customers with Fibre 500 often add Mesh Wi-Fi")

    gui_server.stop()
    qtbot.keyClicks(card.reason_edit, REASON)
    click(qtbot, card.buttons["accepted"])
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "1 pending" and bar.connection_label.text() == "Offline"
    )
    assert panel.visible_offers() == []  # accepted: not offered again
    assert gui_server.query("SELECT count(*) FROM offer_response") == [(0,)]

    gui_server.start()
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "0 pending" and bar.connection_label.text() == "Online"
    )
    rows = gui_server.query("SELECT customer_id, offer_id, response, reason, agent_id FROM offer_response")
    assert rows == [(ada, offer, "accepted", REASON, gui_server.seed.data.agent_id)]
    assert panel.visible_offers() == []


def test_an_answer_whose_push_reply_is_lost_is_still_on_the_server_once(
    qtbot: QtBot, make_shell: ShellFactory, gui_server: OffersServer
) -> None:
    """The server commits the push but its answer is cut off: the desktop pushes again (the same
    mutation id) and the server's dedupe keeps one response."""
    offer = gui_server.offer_id
    window, panel = open_offer(qtbot, make_shell, gui_server)
    proxy = gui_server.proxy
    proxy.configure(
        ToxicConfig(probability=1.0, toxics=("limit_data",), limit_bytes=40, trigger=PUSH_REQUEST)
    )
    proxy.close_all()  # every connection from now on gets the fault (on a push)
    card = panel.card_for(offer)
    assert card is not None
    click(qtbot, card.buttons["declined"])
    assert proxy.wait_count("truncations_done", 1, timeout_s=120)
    wait_for(qtbot, lambda: gui_server.query("SELECT count(*) FROM offer_response") == [(1,)])
    proxy.configure(ToxicConfig())
    proxy.close_all()
    bar = window.status
    wait_for(
        qtbot, lambda: bar.pending_label.text() == "0 pending" and bar.connection_label.text() == "Online"
    )
    rows = gui_server.query("SELECT offer_id, response, reason FROM offer_response")
    assert rows == [(offer, "declined", None)]
