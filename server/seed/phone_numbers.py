"""Valid phone numbers for the demo countries, checked against libphonenumber's own metadata.

`phonenumbers.is_valid_number` costs about 30 µs, too slow for millions of numbers, so each
candidate national number is checked with the same metadata it uses (the region's general pattern
and the fixed-line or mobile pattern, with their possible lengths) and redrawn if it fails.
"""

import random
import re
from dataclasses import dataclass
from typing import Final

import phonenumbers

#: per country: mobile prefixes and the national significant number length they need
MOBILE_PREFIXES: Final[dict[str, tuple[tuple[str, int], ...]]] = {
    "GB": (("74", 10), ("75", 10), ("77", 10), ("78", 10), ("79", 10)),
    "DE": (("151", 11), ("152", 11), ("160", 10), ("170", 10), ("171", 10), ("176", 11)),
    "FR": (("6", 9), ("7", 9)),
    "NL": (("6", 9),),
    "US": (),  # North American mobiles share the landline area codes
    "ES": (("6", 9), ("7", 9)),
}
#: national significant number length of landlines
LANDLINE_LENGTH: Final[dict[str, int]] = {"GB": 10, "DE": 10, "FR": 9, "NL": 9, "US": 10, "ES": 9}
_ATTEMPTS: Final = 200


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    lengths: frozenset[int]

    def matches(self, nsn: str) -> bool:
        return len(nsn) in self.lengths and self.regex.fullmatch(nsn) is not None


def _pattern(
    desc: phonenumbers.PhoneNumberDesc | None, general: phonenumbers.PhoneNumberDesc | None
) -> _Pattern:
    if desc is None or general is None:
        return _Pattern(re.compile("(?!)"), frozenset())
    lengths = desc.possible_length or general.possible_length
    return _Pattern(re.compile(desc.national_number_pattern or "(?!)"), frozenset(lengths))


class PhoneBook:
    """Draws random valid numbers in E.164 form for a country."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._general: dict[str, _Pattern] = {}
        self._mobile: dict[str, _Pattern] = {}
        self._fixed: dict[str, _Pattern] = {}
        self._calling: dict[str, str] = {}
        for country in LANDLINE_LENGTH:
            meta = phonenumbers.PhoneMetadata.metadata_for_region(country)
            assert meta is not None
            self._general[country] = _pattern(meta.general_desc, meta.general_desc)
            self._mobile[country] = _pattern(meta.mobile, meta.general_desc)
            self._fixed[country] = _pattern(meta.fixed_line, meta.general_desc)
            self._calling[country] = f"+{meta.country_code}"

    def _draw(self, country: str, prefix: str, length: int, kind: _Pattern) -> str:
        general = self._general[country]
        randrange = self._rng.randrange
        width = length - len(prefix)
        for _ in range(_ATTEMPTS):
            if country == "US":  # NANP exchange codes start 2-9
                nsn = f"{prefix}{randrange(2, 10)}{randrange(10 ** (width - 1)):0{width - 1}d}"
            else:
                nsn = f"{prefix}{randrange(10**width):0{width}d}"
            if general.matches(nsn) and kind.matches(nsn):
                return self._calling[country] + nsn
        raise ValueError(f"no valid number with prefix {prefix} in {country}")

    def calling_code(self, country: str) -> str:
        """The country's calling code digits (`44`)."""
        return self._calling[country][1:]

    def mobile(self, country: str, area_code: str) -> str:
        prefixes = MOBILE_PREFIXES[country]
        if not prefixes:
            return self._draw(country, area_code, LANDLINE_LENGTH[country], self._mobile[country])
        prefix, length = self._rng.choice(prefixes)
        return self._draw(country, prefix, length, self._mobile[country])

    def landline(self, country: str, area_code: str) -> str:
        return self._draw(country, area_code, LANDLINE_LENGTH[country], self._fixed[country])
