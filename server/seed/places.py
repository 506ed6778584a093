"""Countries the demo contact centre serves: regions with postcodes and phone area codes."""

import random
from dataclasses import dataclass
from typing import Final

_LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    #: the leading characters of the region's postcodes
    postcode_prefix: str
    #: the landline area code (national significant number prefix)
    area_code: str


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    territory: str
    languages: tuple[tuple[str, float], ...]
    #: hours to add to UTC for local time (no daylight saving: good enough for demo data)
    utc_offset: int
    currency: str
    regions: tuple[Region, ...]
    #: share of the customer base
    weight: float


COUNTRIES: Final[tuple[Country, ...]] = (
    Country(
        "GB",
        "United Kingdom",
        (("en", 0.97), ("pl", 0.03)),
        0,
        "GBP",
        (
            Region("Greater London", "SW", "20"),
            Region("Greater Manchester", "M", "161"),
            Region("West Midlands", "B", "121"),
            Region("Scotland", "EH", "131"),
            Region("Wales", "CF", "29"),
            Region("West Yorkshire", "LS", "113"),
            Region("Bristol", "BS", "117"),
        ),
        0.25,
    ),
    Country(
        "DE",
        "Germany",
        (("de", 0.95), ("tr", 0.03), ("en", 0.02)),
        1,
        "EUR",
        (
            Region("Berlin", "10", "30"),
            Region("Bayern", "80", "89"),
            Region("Hamburg", "20", "40"),
            Region("Nordrhein-Westfalen", "50", "221"),
            Region("Hessen", "60", "69"),
            Region("Baden-Württemberg", "70", "711"),
            Region("Sachsen", "01", "351"),
        ),
        0.2,
    ),
    Country(
        "FR",
        "France",
        (("fr", 0.98), ("en", 0.02)),
        1,
        "EUR",
        (
            Region("Île-de-France", "75", "1"),
            Region("Auvergne-Rhône-Alpes", "69", "4"),
            Region("Provence-Alpes-Côte d'Azur", "13", "4"),
            Region("Occitanie", "31", "5"),
            Region("Nouvelle-Aquitaine", "33", "5"),
            Region("Hauts-de-France", "59", "3"),
            Region("Bretagne", "35", "2"),
        ),
        0.15,
    ),
    Country(
        "NL",
        "Netherlands",
        (("nl", 0.9), ("en", 0.1)),
        1,
        "EUR",
        (
            Region("Noord-Holland", "10", "20"),
            Region("Zuid-Holland", "30", "10"),
            Region("Utrecht", "35", "30"),
            Region("Noord-Brabant", "56", "40"),
            Region("Gelderland", "68", "26"),
            Region("Groningen", "97", "50"),
        ),
        0.1,
    ),
    Country(
        "US",
        "United States",
        (("en", 0.88), ("es", 0.12)),
        -5,
        "USD",
        (
            Region("New York", "100", "212"),
            Region("California", "941", "415"),
            Region("Texas", "770", "713"),
            Region("Illinois", "606", "312"),
            Region("Florida", "331", "305"),
            Region("Washington", "981", "206"),
            Region("Massachusetts", "021", "617"),
        ),
        0.2,
    ),
    Country(
        "ES",
        "Spain",
        (("es", 0.85), ("ca", 0.12), ("en", 0.03)),
        1,
        "EUR",
        (
            Region("Comunidad de Madrid", "28", "91"),
            Region("Cataluña", "08", "93"),
            Region("Andalucía", "41", "95"),
            Region("Comunitat Valenciana", "46", "96"),
            Region("País Vasco", "48", "94"),
            Region("Galicia", "15", "981"),
        ),
        0.1,
    ),
)


def postcode(rng: random.Random, country: str, region: Region) -> str:
    """A postcode of the region's shape (`SW4 7QT`, `10115`, `1017 AB`, `94107`)."""
    p = region.postcode_prefix
    if country == "GB":
        digit = rng.randrange(1, 20) if len(p) == 1 else rng.randrange(1, 10)
        letters = rng.choice(_LETTERS) + rng.choice(_LETTERS)
        return f"{p}{digit} {rng.randrange(10)}{letters}"
    if country == "NL":
        return f"{p}{rng.randrange(10, 100)} {rng.choice(_LETTERS)}{rng.choice(_LETTERS)}"
    width = 5 - len(p)
    return f"{p}{rng.randrange(10**width):0{width}d}"
