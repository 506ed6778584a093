"""Text folding and digit forms for the search index (the same rules as the server's search terms)."""

import re
import unicodedata
from functools import lru_cache
from typing import Final

from wire.phones import national_digits

_FOLD_EXTRA: Final = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)
_APOSTROPHES: Final = re.compile(r"['\u2019\u02bc`]")
_WORD: Final = re.compile(r"[0-9a-z]+")
_NON_DIGIT: Final = re.compile(r"[^0-9]+")
_PHONE_LIKE: Final = re.compile(r"^\+?[\d\s\-().\/]+$")
MAX_QUERY: Final = 200
#: digits of each phone form kept as a word (`phone_index_forms`)
PHONE_HEAD: Final = 2


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case without accents: `Ñúñez-Müller` → `nunez-muller`.

    ASCII text (most names, every email and number) has nothing to decompose or translate, and
    its `casefold` is `lower`: the fast path gives the same result for a fraction of the cost."""
    if text.isascii():
        return text.lower()
    lowered = text.casefold().translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded words of [0-9a-z]; apostrophes join (`O'Brien` → `obrien`), the rest separates.

    Search documents are built from hundreds of thousands of values while priming: ASCII text
    skips the regular expression for apostrophes (only `'` and `` ` `` are ASCII ones)."""
    if text.isascii():
        folded = text.lower()
        if "'" in folded or "`" in folded:
            folded = folded.replace("'", "").replace("`", "")
    else:
        folded = _APOSTROPHES.sub("", fold(text))
    return _WORD.findall(folded)


def digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def is_phone_like(text: str) -> bool:
    """Digits with phone punctuation only (`+44 (0)7400-123`)."""
    return bool(_PHONE_LIKE.match(text.strip()))


def phone_forms(e164: str) -> set[str]:
    """Digit strings a phone is found by: E.164 digits, national digits, national with a trunk 0."""
    full = digits(e164)
    if not full:
        return set()
    forms = {full}
    national = national_digits(full)
    if national and national != full:  # the calling code is known and something follows it
        forms.update({national, "0" + national})
    return forms


def phone_index_forms(e164: str) -> tuple[list[str], list[str]]:
    """(word heads, digit strings) a phone is indexed by, each sorted: the same matches as all of
    `phone_forms` in both indexes, for a fraction of the index entries.

    - digit strings (`search_digits`, substrings of 3+ digits): the E.164 digits and the trunk
      form; the national digits end the E.164 ones, so every substring of them is already there;
    - word heads (`search_words`, prefixes of 1-2 typed digits, too short for trigrams): the first
      `PHONE_HEAD` digits of each form, which have the same 1-2 digit prefixes as the whole forms.
      A whole 10-15 digit form as a word cost 9 entries of the 1-8 prefix index, nearly all of them
      unique terms: half of the word index's build time while priming (bench/README.md)."""
    full = digits(e164)
    if not full:
        return [], []
    national = national_digits(full)
    if not national or national == full:
        return [full[:PHONE_HEAD]], [full]
    trunk = "0" + national
    return sorted({full[:PHONE_HEAD], national[:PHONE_HEAD], trunk[:PHONE_HEAD]}), sorted((full, trunk))
