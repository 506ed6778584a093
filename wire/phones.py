"""Phone numbers: normalising what people type to E.164, and the digit forms used for search.

In `wire/` because both sides must read a typed number the same way: the server when it stores
and looks up contact points, the desktop when it checks a new customer for duplicates."""

import re
from functools import lru_cache
from typing import Final

#: characters people put between digits; removed before parsing
_SEPARATORS: Final = re.compile(r"[\s\-().\/\u00a0\u2010-\u2015]+")
_MAX_INPUT: Final = 64
_NOT_ASCII_DIGIT: Final = re.compile(r"[^0-9]+")


@lru_cache(maxsize=1)
def calling_codes() -> frozenset[str]:
    """The countries' calling codes (prefix-free, 1 to 3 digits). phonenumbers is imported on first
    use: importing it costs tens of milliseconds the desktop's start-up does not need."""
    import phonenumbers

    return frozenset(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def normalize_phone(raw: str, default_region: str | None) -> str | None:
    """The E.164 form (`+447400123456`) of a phone number as typed, or None if it is not valid.

    Accepts international (`+44 …`, `0044 …`) and national (`07400 123456` with `default_region`
    GB) forms with spaces, dashes, dots, slashes and parentheses; `tel:` URIs too. Without a
    region a national number is not valid.
    """
    text = raw.strip()
    if not text or len(text) > _MAX_INPUT:
        return None
    if text.lower().startswith("tel:"):
        text = text[4:]
    text = _SEPARATORS.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or any(c.isalpha() for c in text):
        return None
    region = (default_region or "").strip().upper() or None
    import phonenumbers  # see calling_codes()

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def phone_digits(e164: str) -> str:
    """The digits of an E.164 number, country code included (`+44 7400…` → `447400…`).

    ASCII text (every stored E.164 number) takes one regular expression: its only digits are 0-9.
    Search documents are built from hundreds of thousands of phones while priming."""
    if e164.isascii():
        return _NOT_ASCII_DIGIT.sub("", e164)
    return "".join(c for c in e164 if c.isdigit())


def national_digits(e164: str) -> str:
    """The national significant number of an E.164 number (`+447400123456` → `7400123456`).

    Splits off the calling code by table lookup (no parsing), so it is cheap enough for bulk use;
    a string whose calling code is unknown is returned as all its digits.
    """
    digits = phone_digits(e164)
    codes = calling_codes()
    for size in (1, 2, 3):
        if digits[:size] in codes:
            return digits[size:]
    return digits
