"""The words of recommended offers: reason lines, why an offer is left out, and the shown price.

Kept apart from the arithmetic in `offers_rank.py` so that the panel, `liaison offers` and the
tests all say the same thing. A reason line names one signal ("Customers with Fibre 500 often add
Mesh Wi-Fi — 3.1x more likely", with the multiplication sign); `offers_rank` never hands a sensitive product to these functions.
"""

from datetime import UTC, datetime
from typing import Final

#: the multiplication sign of "3.1x more likely"
TIMES: Final = "\N{MULTIPLICATION SIGN}"
_SYMBOLS: Final = {"EUR": "€", "GBP": "£", "USD": "$"}


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp (or date) from the cache as an aware datetime (UTC when it has no offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def day(at: datetime) -> str:
    return at.date().isoformat()


def price_text(price: float, currency: str) -> str:
    """The catalog price as shown: `€8.00`, `£22.00`, `$59.00`, else `12.50 CHF`."""
    code = currency.upper()
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{price:,.2f}" if symbol is not None else f"{price:,.2f} {code}".strip()


def times(value: float) -> str:
    """`3.1` and the multiplication sign: one decimal, as the reason line shows a lift or a boost."""
    return f"{value:.1f}{TIMES}"


def affinity_reason(antecedent: str, offered: str, lift: float) -> str:
    return f"Customers with {antecedent} often add {offered} — {times(lift)} more likely"


def region_reason(label: str, category: str, boost: float) -> str:
    return f"{label} — {category} offers {times(boost)} more relevant"


def renewal_reason(product: str, days: int) -> str:
    when = "today" if days <= 0 else ("tomorrow" if days == 1 else f"in {days} days")
    return f"{product} contract renews {when} — a good time to review it"


def case_reason(number: str, days: int) -> str:
    when = "today" if days <= 0 else ("yesterday" if days == 1 else f"{days} days ago")
    return f"Case {number} resolved {when} — a good moment to offer"


def no_consent() -> str:
    return "No offers: the customer has not given marketing consent."


def do_not_contact() -> str:
    return "No offers: the customer is marked do-not-contact."


def nothing_eligible() -> str:
    return "No offers: nothing in the catalog fits this customer now."
