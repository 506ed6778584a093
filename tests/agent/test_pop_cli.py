"""`liaison pop` without Qt: strict parsing of numbers, `liaison://pop` URLs and request lines, the
profile's socket name, and the clear failure when no instance runs."""

from pathlib import Path

import pytest

from desktop.pop_cli import (
    EXIT_BAD_INPUT,
    EXIT_NO_INSTANCE,
    NoInstance,
    PopError,
    check_phone,
    decode_request,
    encode_request,
    endpoint,
    main,
    main_url,
    parse_pop_url,
    send_pop,
)


@pytest.mark.parametrize(
    ("url", "phone"),
    [
        ("liaison://pop?phone=%2B447400123456", "+447400123456"),
        ("liaison://pop?phone=020%207946%200958", "020 7946 0958"),
        ("LIAISON://pop/?phone=07400-123456", "07400-123456"),
    ],
)
def test_a_pop_url_gives_its_number(url: str, phone: str) -> None:
    assert parse_pop_url(url) == phone


@pytest.mark.parametrize(
    "url",
    [
        "http://pop?phone=123456",
        "liaison://evil.example/pop?phone=123456",
        "liaison://pop/admin?phone=123456",
        "liaison://pop?phone=123456&phone=654321",
        "liaison://pop?phone=123456&open=calc.exe",
        "liaison://pop?phone=",
        "liaison://pop?phone=%3Cscript%3E",
        "liaison://pop?phone=123%0A456",
        "liaison://pop?phone=123456#frag",
        "liaison://pop?phone=" + "1" * 65,
        "liaison://pop?number=123456",
        "liaison://pop",
    ],
)
def test_hostile_or_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(PopError):
        parse_pop_url(url)


@pytest.mark.parametrize("phone", ["", "  ", "12", "abc123456", "+44 7400\x00123", "+44;rm -rf", "1" * 65])
def test_numbers_are_checked_strictly(phone: str) -> None:
    with pytest.raises(PopError):
        check_phone(phone)


def test_request_lines_round_trip_and_bad_ones_are_refused() -> None:
    assert decode_request(encode_request("+44 7400 123456").rstrip(b"\n")) == "+44 7400 123456"
    for line in (
        b"not json",
        b"[]",
        b'{"pop": {}}',
        b'{"pop": {"phone": 5}}',
        b'{"pop": {"phone": "123456"}, "x": 1}',
    ):
        with pytest.raises(PopError):
            decode_request(line)


def test_each_profile_has_its_own_endpoint(tmp_path: Path) -> None:
    one, two = tmp_path / "one" / "data", tmp_path / "two" / "data"
    assert endpoint(one) == endpoint(one) != endpoint(two)
    assert len(endpoint(one)) < 100  # AF_UNIX paths are short


def test_no_running_instance_is_a_clear_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(NoInstance):
        send_pop(tmp_path / "data", "+447400123456")
    assert main(["--phone", "+447400123456", "--profile", str(tmp_path)]) == EXIT_NO_INSTANCE
    assert "not running for this profile" in capsys.readouterr().err
    assert main_url(["liaison://pop?phone=abc", "--profile", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "phone number may hold only" in capsys.readouterr().err
