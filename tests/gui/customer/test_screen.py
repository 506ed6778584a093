"""The customer screen as a whole: profile card, do-not-contact, identities, audited reveal of a
contact point, the offers slot, and refreshes only for changes that concern the customer shown."""

import logging

import pytest
from pytestqt.qtbot import QtBot

from desktop.services import case_work
from desktop.services.store import Cache, Changed
from desktop.views.context import ViewContext
from desktop.views.customer.screen import CustomerScreen
from tests.gui.customer.sample import CUSTOMER, DNC_CUSTOMER, NOW

pytestmark = pytest.mark.gui


def test_profile_identities_and_contract(qtbot: QtBot, ctx: ViewContext) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    assert screen.customer_id == CUSTOMER and screen.title() == "Margaret Okonkwo-Hale"
    card = screen.profile_card
    assert card.fields["organisation"].text() == "Hale Gardens Ltd"
    assert card.fields["segment"].text() == "Business / Gold"
    assert card.fields["language"].text() == "English (en)"
    assert not card.dnc_banner.isVisibleTo(screen)
    assert screen.identities_view.entries() == [
        ("Account number", "AC-0042-7781"),
        ("Field service", "FS-00917"),
        ("Partner portal: Northwind", "NW-44-2210"),
        ("Web shop", "WS-558812"),
    ]
    assert screen.offers_slot.placeholder.text() == "Recommended offers will appear here."
    assert screen.log_button.accessibleName() and screen.new_case_button.accessibleName()


def test_do_not_contact_is_unmistakable(qtbot: QtBot, ctx: ViewContext) -> None:
    screen = CustomerScreen(ctx, DNC_CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    card = screen.profile_card
    assert card.dnc_banner.isVisibleTo(screen)
    assert "DO NOT CONTACT" in card.dnc_banner.text()
    assert card.fields["contact"].text() == "✗ DO NOT CONTACT"


def test_reveal_shows_the_phone_and_is_audited(
    qtbot: QtBot, ctx: ViewContext, caplog: pytest.LogCaptureFixture
) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    view = screen.contact_points_view
    assert view.values["p1"].text() == "••• •••• •958"
    with caplog.at_level(logging.INFO, logger="liaison.audit"), qtbot.waitSignal(view.revealed):
        view.reveal_buttons["p1"].click()
    assert view.values["p1"].text() == "020 7946 0958"
    assert not view.reveal_buttons["p1"].isEnabled()
    [record] = [r for r in caplog.records if r.name == "liaison.audit"]
    assert "user=agent" in record.getMessage() and f"customer={CUSTOMER}" in record.getMessage()
    assert view.values["p2"].text().endswith("123") and "•" in view.values["p2"].text()


def test_refreshes_only_for_its_own_rows(qtbot: QtBot, ctx: ViewContext, cache: Cache) -> None:
    screen = CustomerScreen(ctx, CUSTOMER, clock=lambda: NOW)
    qtbot.addWidget(screen)
    resets: list[str] = []
    screen.timeline.model.modelReset.connect(lambda: resets.append("timeline"))
    screen.cases_model.modelReset.connect(lambda: resets.append("cases"))

    _id, other = case_work.log_interaction(cache.writer, DNC_CUSTOMER, "call_note", "Not ours", None)
    ctx.hub.publish(other)
    ctx.hub.publish(Changed(rows={"case": {"unrelated"}}))
    assert resets == []

    _id, mine = case_work.log_interaction(cache.writer, CUSTOMER, "call_note", "Ours", None)
    ctx.hub.publish(mine)
    assert resets == ["timeline"]
    assert screen.timeline.model.interaction_count == 9
