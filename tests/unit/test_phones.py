import phonenumbers
import pytest

from wire.phones import national_digits, normalize_phone, phone_digits


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+44 7400 123456", "GB", "+447400123456"),
        ("07400 123456", "GB", "+447400123456"),
        ("0044 (0)7400-123456", "GB", "+447400123456"),  # a (0) trunk prefix is tolerated
        ("0044 7400-123456", "DE", "+447400123456"),
        ("(201) 555-0123", "US", "+12015550123"),
        ("201.555.0123", "us", "+12015550123"),
        ("030 123456", "DE", "+4930123456"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("tel:+31612345678", "NL", "+31612345678"),
        ("612 34 56 78", "ES", "+34612345678"),
    ],
)
def test_normalises_common_forms(raw: str, region: str, expected: str | None) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "   ", "12", "+44 1234", "call me", "0800-FLOWERS", "+" + "1" * 80])
def test_rejects_invalid(raw: str) -> None:
    assert normalize_phone(raw, "GB") is None


def test_international_form_needs_no_region() -> None:
    assert normalize_phone("+33 6 12 34 56 78", "") == "+33612345678"


def test_result_is_valid_e164() -> None:
    e164 = normalize_phone("07400 123456", "GB")
    assert e164 is not None
    assert phonenumbers.is_valid_number(phonenumbers.parse(e164))


def test_digit_forms() -> None:
    assert phone_digits("+447400123456") == "447400123456"
    assert national_digits("+447400123456") == "7400123456"
    assert national_digits("+12015550123") == "2015550123"
    assert national_digits("+4930123456") == "30123456"
    assert national_digits("+353851234567") == "851234567"


def test_phone_digits_keep_every_digit_character() -> None:
    assert phone_digits("+44 (0)7400-123.456/7") == "44074001234567"
    assert phone_digits("+\u0664\u0664 7400") == "\u0664\u06647400"  # non-ASCII digits count too
    assert phone_digits("") == phone_digits("+") == ""
