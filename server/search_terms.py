"""Search terms of a customer (the `customer_term` rows) and of a search query, normalised alike.

Terms are lower-cased and accent-folded: words of the name and organisation (two characters or
more), the account number, each email in full and its local part, and each phone's E.164 digits
and national significant number digits. A query is cut into terms the same way, so a prefix search
on `customer_term.term` finds `Müller` from `mul`, `+44 7400 123456` from `07400 123`, and an
email from its first letters.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from wire.phones import national_digits, phone_digits

MAX_TERM: Final = 200
MIN_WORD: Final = 2
#: letters that do not decompose into a base letter plus a combining mark
_FOLD_EXTRA: Final = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)
_APOSTROPHES: Final = re.compile(r"['\u2019\u02bc`]")
_NON_WORD: Final = re.compile(r"[^0-9a-z]+")
_PHONE_QUERY: Final = re.compile(r"^\+?[\d\s\-().\/]+$")
_MIN_PHONE_DIGITS: Final = 3


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case without accents: `Ñúñez-Müller` → `nunez-muller`."""
    lowered = text.casefold().translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    """Folded words; apostrophes join (`O'Brien` → `obrien`), other punctuation separates."""
    return [w for w in _NON_WORD.split(_APOSTROPHES.sub("", fold(text))) if w]


def _cap(term: str) -> str:
    return term[:MAX_TERM]


def customer_terms(
    display_name: str,
    organisation: str | None,
    account_number: str | None,
    emails: Iterable[str],
    phones: Iterable[str],
) -> set[str]:
    """The search terms of one customer; `phones` are E.164 strings."""
    terms: set[str] = set()
    for text in (display_name, organisation):
        if text:
            terms.update(_cap(w) for w in _words(text) if len(w) >= MIN_WORD)
    if account_number:
        account = fold(account_number.strip())
        if account:
            terms.add(_cap(account))
    for email in emails:
        address = fold(email.strip())
        if not address:
            continue
        terms.add(_cap(address))
        local = address.partition("@")[0]
        if len(local) >= MIN_WORD:
            terms.add(_cap(local))
    for phone in phones:
        full = phone_digits(phone)
        if full:
            terms.add(_cap(full))
            national = national_digits(phone)
            if national:
                terms.add(_cap(national))
    return terms


def _phone_query(q: str) -> str | None:
    """The digits to look for when the whole query is a phone number, else None."""
    if not _PHONE_QUERY.match(q):
        return None
    digits = phone_digits(q)
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    if q.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    # a national form: the trunk prefix is not part of the stored national number
    return digits.lstrip("0") or digits


def query_terms(q: str) -> list[str]:
    """The terms of a search query, in order, without duplicates; every one is a prefix to match.

    A query that is only a phone number becomes one digit string; a token with `@` is kept whole
    (an email prefix); other tokens are cut into words. Words shorter than two characters are
    dropped unless nothing else is left.
    """
    text = q.strip()
    if not text:
        return []
    phone = _phone_query(text)
    if phone is not None:
        return [_cap(phone)]
    out: list[str] = []
    short: list[str] = []
    for token in fold(text).split():
        if "@" in token:
            email = token.strip("<>,;\"'()[]")
            if email:
                out.append(_cap(email))
            continue
        for word in _words(token):
            (out if len(word) >= MIN_WORD else short).append(_cap(word))
    chosen = out or short
    return list(dict.fromkeys(chosen))
