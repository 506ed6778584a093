"""The new-customer dialog on real widgets over a real cache: duplicate warnings, open-existing, create."""

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop.services.duplicates import DuplicateMatch
from desktop.services.store import Cache, apply_page, open_cache, search
from desktop.services.store.driver import raw
from desktop.services.store.outbox import entries_for
from desktop.services.store.schema import outbox
from desktop.views.context import ChangeHub, ViewContext
from desktop.views.dialogs.new_customer import DuplicatesModel, NewCustomerDialog
from desktop.views.tasks import TaskRunner
from desktop.views.theme import apply_theme
from wire.auth import UserInfo
from wire.fast import ValidatedChange
from wire.records import validate_record

ADA = "00000000-0000-4000-8000-00000000000a"
HALE = "00000000-0000-4000-8000-00000000000b"
AGENT = UserInfo(
    id="u-agent",
    username="agent",
    display_name="Alex Agent",
    roles=["agent"],
    queue_ids=[],
    territory_ids=["t-gb"],
)
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
_seq = itertools.count(1)


def _change(kind: str, row_id: str, /, **fields: Any) -> ValidatedChange:
    return ValidatedChange(
        seq=next(_seq),
        entity=kind,
        id=row_id,
        op="upsert",
        version=1,
        record=validate_record(kind, fields),
        extra={},
    )


class SyncRequests:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened, _report = open_cache(tmp_path / "cache.db", None)
    apply_page(
        opened.writer,
        "ref",
        [
            _change("territory", "t-de", name="Germany", country="DE"),
            _change("territory", "t-gb", name="United Kingdom", country="GB"),
        ],
        None,
        primed=True,
    )
    apply_page(
        opened.writer,
        "directory",
        [
            _change(
                "customer",
                ADA,
                display_name="Ada Lovelace",
                organisation="Analytical Engines",
                territory_id="t-gb",
            ),
            _change("customer", HALE, display_name="Margaret Okonkwo-Hale", territory_id="t-gb"),
            _change("contact_point", "p1", customer_id=ADA, kind="phone", value="+447400123456"),
            _change(
                "contact_point", "p2", customer_id=HALE, kind="email", value="margaret@halegardens.co.uk"
            ),
        ],
        None,
        primed=True,
    )
    yield opened
    opened.close()


@pytest.fixture
def sync_requests() -> SyncRequests:
    return SyncRequests()


@pytest.fixture
def ctx(cache: Cache, sync_requests: SyncRequests) -> Iterator[ViewContext]:
    tasks = TaskRunner(cache.writer, inline=True)
    yield ViewContext(cache=cache, tasks=tasks, hub=ChangeHub(), request_sync=sync_requests, user=AGENT)
    tasks.shutdown()


def _dialog(qtbot: QtBot, ctx: ViewContext, **kwargs: Any) -> NewCustomerDialog:
    dialog = NewCustomerDialog(ctx, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _outbox(cache: Cache) -> list[Any]:
    with cache.read() as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.client_seq)).all())


def test_duplicates_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = DuplicatesModel()
    model.set_matches(
        [
            DuplicateMatch(ADA, "Ada Lovelace", "Analytical Engines", ("phone", "name"), 91.0),
            DuplicateMatch(HALE, "", None, ("email",), 100.0),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(0, 0).data() == "Ada Lovelace · Analytical Engines\nsame phone, similar name"
    assert model.index(1, 0).data() == "(no name)\nsame email"


def test_territories_and_languages_come_from_the_cache_and_the_users_territory_is_chosen(
    qtbot: QtBot, ctx: ViewContext
) -> None:
    dialog = _dialog(qtbot, ctx)
    box = dialog.territory_box
    assert [box.itemText(i) for i in range(box.count())] == ["Germany", "United Kingdom"]
    assert box.currentText() == "United Kingdom"
    assert dialog.language_box.count() >= 10
    assert dialog.language_box.currentData() == "en"
    for widget in (dialog.name_edit, dialog.phone_edit, dialog.email_edit, box, dialog.language_box):
        assert widget.accessibleName()


def test_a_phone_typed_in_national_format_warns_as_you_type(qtbot: QtBot, ctx: ViewContext) -> None:
    dialog = _dialog(qtbot, ctx)
    qtbot.keyClicks(dialog.name_edit, "Augusta King")
    qtbot.keyClicks(dialog.phone_edit, "07400 123 456")
    assert dialog.matches_model.rowCount() == 0  # debounced: nothing ran per keystroke
    qtbot.waitUntil(lambda: dialog.matches_model.rowCount() == 1)
    assert not dialog.warning.isHidden()
    assert dialog.matches_model.index(0, 0).data() == "Ada Lovelace · Analytical Engines\nsame phone"
    assert dialog.warning_title.text().startswith("One customer in the cache may be the same person.")


def test_a_similar_name_is_found_as_you_type(qtbot: QtBot, ctx: ViewContext) -> None:
    dialog = _dialog(qtbot, ctx)
    qtbot.keyClicks(dialog.name_edit, "Margret Okonkwo Hale")
    qtbot.waitUntil(lambda: dialog.matches_model.rowCount() == 1)
    assert dialog.selected_match() == HALE
    assert dialog.matches_model.index(0, 0).data().endswith("similar name")


def test_save_with_a_duplicate_asks_first_and_creates_anyway_on_the_second_save(
    qtbot: QtBot, ctx: ViewContext, cache: Cache, sync_requests: SyncRequests
) -> None:
    dialog = _dialog(qtbot, ctx)
    dialog.name_edit.setText("Maggie Hale")
    dialog.email_edit.setText("  Margaret@HaleGardens.co.uk")
    dialog.save_button.click()
    assert _outbox(cache) == []
    assert not dialog.warning.isHidden()
    assert dialog.selected_match() == HALE
    assert dialog.save_button.text() == "Create anyway"
    assert "possible duplicates" in dialog.error.text()
    with qtbot.waitSignal(dialog.created) as created, qtbot.waitSignal(ctx.hub.changed):
        dialog.save_button.click()
    [new_id] = created.args
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert sync_requests.count == 1
    rows = _outbox(cache)
    assert [(r.entity, r.op) for r in rows] == [("customer", "create"), ("contact_point", "create")]
    assert rows[0].entity_id == new_id
    with cache.read() as conn:
        [customer] = entries_for(conn, "customer", new_id)
        assert customer.new_values["display_name"] == "Maggie Hale"
        assert customer.new_values["territory_id"] == "t-gb"
        assert customer.new_values["country"] == "GB"
        assert rows[1].depends_on == customer.mutation_id
        assert '"value":"margaret@halegardens.co.uk"' in rows[1].new_values
        assert new_id in {h.customer_id for h in search(raw(conn), "maggie")}


def test_changing_the_input_after_the_warning_asks_again(
    qtbot: QtBot, ctx: ViewContext, cache: Cache
) -> None:
    dialog = _dialog(qtbot, ctx)
    dialog.name_edit.setText("Someone New")
    dialog.phone_edit.setText("+44 7400 123456")
    dialog.save_button.click()
    assert dialog.save_button.text() == "Create anyway"
    qtbot.keyClicks(dialog.name_edit, "r")
    assert dialog.save_button.text() == "Save"
    dialog.save_button.click()
    assert _outbox(cache) == []  # warned again for the new input, nothing saved
    assert dialog.save_button.text() == "Create anyway"
    qtbot.keyClicks(dialog.email_edit, "x")
    dialog.reject()
    assert not dialog._debounce.isActive()  # closing stops a pending check


def test_open_the_existing_one_instead(qtbot: QtBot, ctx: ViewContext, cache: Cache) -> None:
    dialog = _dialog(qtbot, ctx, phone="07400123456")
    assert dialog.matches_model.rowCount() == 1  # a prefilled number (screen pop) is checked at once
    with qtbot.waitSignal(dialog.openExisting) as opened:
        dialog.open_button.click()
    assert opened.args == [ADA]
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert _outbox(cache) == []


def test_a_customer_without_duplicates_is_created_on_the_first_save(
    qtbot: QtBot, ctx: ViewContext, cache: Cache
) -> None:
    dialog = _dialog(qtbot, ctx)
    dialog.name_edit.setText("Grace Hopper")
    dialog.phone_edit.setText("030 1234567")
    dialog.territory_box.setCurrentIndex(dialog.territory_box.findText("Germany"))
    dialog.language_box.setCurrentIndex(dialog.language_box.findData("de"))
    with qtbot.waitSignal(dialog.created):
        dialog.save_button.click()
    rows = _outbox(cache)
    assert [r.entity for r in rows] == ["customer", "contact_point"]
    assert '"value":"+49301234567"' in rows[1].new_values  # read in the territory's country
    assert '"language":"de"' in rows[0].new_values


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("name_edit", "", "Give the customer a name."),
        ("phone_edit", "12", "That is not a valid phone number."),
        ("email_edit", "nobody", "That is not a valid email address."),
    ],
)
def test_bad_input_is_refused_with_a_message(
    qtbot: QtBot, ctx: ViewContext, cache: Cache, field: str, text: str, message: str
) -> None:
    dialog = _dialog(qtbot, ctx)
    dialog.name_edit.setText("Grace Hopper")
    getattr(dialog, field).setText(text)
    dialog.save_button.click()
    assert dialog.error.text() == message
    assert not dialog.error.isHidden()
    assert _outbox(cache) == []


@pytest.mark.parametrize("theme_name", ["light", "dark"])
def test_render_the_dialog(qtbot: QtBot, ctx: ViewContext, theme_name: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    palette, font = app.palette(), app.font()
    apply_theme(app, theme_name)
    try:
        dialog = _dialog(qtbot, ctx)
        dialog.name_edit.setText("Margret Okonkwo Hale")
        dialog.phone_edit.setText("07400 123456")
        dialog.save_button.click()
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(SHOTS / f"new-customer-{theme_name}.png"))
    finally:
        app.setStyleSheet("")
        app.setPalette(palette)
        app.setFont(font)
        app.setProperty("liaisonTheme", None)
