"""The refresh-token store over the keyring: one entry per server and user; failures are typed."""

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail
from keyring.errors import KeyringError, KeyringLocked, NoKeyringError, PasswordSetError

from desktop.services.credentials import SERVICE, Credentials, KeyringUnavailable, account_name
from tests.desktop.memory_keyring import BrokenKeyring, MemoryKeyring

URL = "https://crm.example.com/"


@pytest.fixture(autouse=True)
def ring() -> Iterator[MemoryKeyring]:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(fail.Keyring())


def test_save_load_replace_delete(ring: MemoryKeyring) -> None:
    store = Credentials(URL)
    assert store.available()
    assert store.load("agent") is None
    store.save("agent", "r1")
    store.save("agent", "r2")  # rotation replaces the entry
    assert store.load("agent") == "r2"
    assert ring.entries == {(SERVICE, "agent@https://crm.example.com:443"): "r2"}
    assert store.delete("agent") is True
    assert store.delete("agent") is False
    assert ring.entries == {} and store.load("agent") is None


def test_one_entry_per_server_and_user(ring: MemoryKeyring) -> None:
    Credentials("https://a.example").save("agent", "a")
    Credentials("https://a.example:8443").save("agent", "b")
    Credentials("http://a.example").save("agent", "c")
    Credentials("https://a.example").save("supervisor", "d")
    assert len(ring.entries) == 4
    assert Credentials("HTTPS://A.example:443/api").load("agent") == "a"  # same server, other spelling
    assert {service for service, _ in ring.entries} == {SERVICE}


def test_account_names() -> None:
    assert account_name("https://crm.example", "agent") == "agent@https://crm.example:443"
    assert account_name("http://127.0.0.1:8765/", "x") == "x@http://127.0.0.1:8765"


def test_an_explicit_backend_wins_over_the_global_keyring(ring: MemoryKeyring) -> None:
    own = MemoryKeyring()
    Credentials(URL, backend=own).save("agent", "t")
    assert ring.entries == {} and list(own.entries.values()) == ["t"]


def test_no_keyring_is_a_typed_error_with_a_clear_message() -> None:
    keyring.set_keyring(fail.Keyring())
    store = Credentials(URL)
    assert not store.available()
    for call in (
        lambda: store.load("agent"),
        lambda: store.save("agent", "t"),
        lambda: store.delete("agent"),
    ):
        with pytest.raises(KeyringUnavailable, match="no usable keyring") as caught:
            call()
        assert "signed in until you close the app" in caught.value.message


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (KeyringLocked("locked"), "is locked"),
        (NoKeyringError("none"), "NoKeyringError"),
        (PasswordSetError("nope"), "PasswordSetError"),
        (KeyringError("secret-value-in-message"), "KeyringError"),
        (OSError("dbus"), "OSError"),
    ],
)
def test_a_failing_backend_is_a_typed_error_that_never_quotes_it(error: Exception, words: str) -> None:
    store = Credentials(URL, backend=BrokenKeyring(error))
    assert store.available()  # configured, yet failing when used
    for call in (
        lambda: store.load("agent"),
        lambda: store.save("agent", "t"),
        lambda: store.delete("agent"),
    ):
        with pytest.raises(KeyringUnavailable, match=words) as caught:
            call()
        assert "secret-value" not in caught.value.message
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_empty_entries_read_as_none(ring: MemoryKeyring) -> None:
    ring.entries[(SERVICE, account_name(URL, "agent"))] = ""
    assert Credentials(URL).load("agent") is None
