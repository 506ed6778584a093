"""The product and offer catalog, the queues with their disposition codes, and planted affinities."""

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    list_price: float
    margin: float
    #: the share of customers who own it when no planted affinity applies
    popularity: float
    sensitive: bool = False
    #: months of the contract a holding renews after; 0 for a one-off purchase (no renewal date)
    contract_months: int = 12


SENSITIVE_CATEGORY: Final = "health"

PRODUCTS: Final[tuple[ProductSpec, ...]] = (
    ProductSpec("BB-ADSL", "ADSL Basic", "broadband", 19.0, 0.22, 0.08),
    ProductSpec("BB-FIB100", "Fibre 100", "broadband", 29.0, 0.3, 0.22),
    ProductSpec("BB-FIB500", "Fibre 500", "broadband", 39.0, 0.35, 0.16),
    ProductSpec("BB-FIB1000", "Fibre 1000", "broadband", 55.0, 0.4, 0.05),
    ProductSpec("BB-LANDLINE", "Landline Anytime", "broadband", 9.0, 0.5, 0.12),
    ProductSpec("MOB-SIM10", "SIM Only 10GB", "mobile", 10.0, 0.4, 0.25),
    ProductSpec("MOB-UNL5G", "Unlimited 5G SIM", "mobile", 25.0, 0.45, 0.14),
    ProductSpec("MOB-FAMILY", "Family Plan (4 SIMs)", "mobile", 60.0, 0.38, 0.06, contract_months=24),
    ProductSpec("MOB-PHONE", "Smartphone X 128GB", "mobile", 799.0, 0.12, 0.07, contract_months=0),
    ProductSpec("TV-ESS", "TV Essentials", "tv", 15.0, 0.3, 0.15),
    ProductSpec("TV-PREMIUM", "Premium TV", "tv", 35.0, 0.35, 0.09),
    ProductSpec("TV-SPORTS", "Sports Pack", "tv", 20.0, 0.28, 0.04),
    ProductSpec("TV-MOVIES", "Movies Pack", "tv", 12.0, 0.33, 0.05),
    ProductSpec("EN-GREEN", "Green Energy Tariff", "energy", 85.0, 0.08, 0.05, contract_months=24),
    ProductSpec("EN-GAS-FIX", "Fixed Price Gas", "energy", 70.0, 0.07, 0.08, contract_months=24),
    ProductSpec("EN-EV", "EV Charging Tariff", "energy", 45.0, 0.1, 0.03, contract_months=24),
    ProductSpec("SH-MESH", "Mesh Wi-Fi", "smart home", 8.0, 0.55, 0.04, contract_months=0),
    ProductSpec("SH-THERMO", "Smart Thermostat", "smart home", 199.0, 0.3, 0.07, contract_months=0),
    ProductSpec("SH-DOORBELL", "Video Doorbell", "smart home", 149.0, 0.32, 0.05, contract_months=0),
    ProductSpec("SH-PLUGS", "Smart Plug Pack", "smart home", 39.0, 0.45, 0.06, contract_months=0),
    ProductSpec("CL-FAN", "Tower Fan", "cooling", 69.0, 0.35, 0.07, contract_months=0),
    ProductSpec("CL-AC-PORT", "Portable Air Conditioner", "cooling", 399.0, 0.25, 0.04, contract_months=0),
    ProductSpec(
        "CL-AC-SPLIT", "Split Air Conditioner (installed)", "cooling", 1290.0, 0.2, 0.015, contract_months=0
    ),
    ProductSpec("INS-DEVICE", "Device Care", "insurance", 7.0, 0.6, 0.05),
    ProductSpec("INS-HOME", "Home Insurance", "insurance", 22.0, 0.4, 0.06),
    ProductSpec("INS-TRAVEL", "Travel Insurance", "insurance", 49.0, 0.45, 0.04),
    ProductSpec(
        "HL-WATCH", "Health Monitor Watch", SENSITIVE_CATEGORY, 249.0, 0.3, 0.03, True, contract_months=0
    ),
    ProductSpec("HL-HEARING", "Hearing Care Plan", SENSITIVE_CATEGORY, 18.0, 0.4, 0.02, True),
    ProductSpec("HL-PHARMA", "Pharmacy Delivery Plus", SENSITIVE_CATEGORY, 6.0, 0.35, 0.025, True),
    ProductSpec("SVC-PRIORITY", "Priority Support", "services", 5.0, 0.7, 0.05),
)

#: antecedent sku → (consequent sku, probability that an owner of the antecedent owns it)
PLANTED: Final[dict[str, tuple[str, float]]] = {
    "BB-FIB500": ("SH-MESH", 0.62),
    "MOB-UNL5G": ("INS-DEVICE", 0.5),
    "SH-THERMO": ("EN-GREEN", 0.55),
    "TV-PREMIUM": ("TV-SPORTS", 0.48),
}


@dataclass(frozen=True, slots=True)
class OfferSpec:
    sku: str
    title: str
    pitch: str
    price: float
    #: country codes where the offer may be made; empty means everywhere
    regions: tuple[str, ...] = ()
    #: customer segments it is for; empty means every segment
    segments: tuple[str, ...] = ()
    #: validity window in days relative to the seed's "now"
    valid_from_days: int = -120
    valid_to_days: int = 240


OFFERS: Final[tuple[OfferSpec, ...]] = (
    OfferSpec("SH-MESH", "Add Mesh Wi-Fi", "Whole-home coverage: two mesh points, set up in minutes.", 8.0),
    OfferSpec("INS-DEVICE", "Protect your phone", "Device Care covers damage, loss and theft.", 7.0),
    OfferSpec(
        "EN-GREEN",
        "Switch to Green Energy",
        "100% renewable electricity at a fixed rate.",
        82.0,
        ("GB", "DE", "NL", "ES"),
    ),
    OfferSpec("TV-SPORTS", "Sports Pack", "Every match, live and on demand.", 18.0),
    OfferSpec("BB-FIB1000", "Upgrade to Fibre 1000", "Gigabit speeds for busy households.", 49.0),
    OfferSpec(
        "BB-FIB500", "Upgrade to Fibre 500", "Five times faster than ADSL, same price for a year.", 35.0
    ),
    OfferSpec("MOB-UNL5G", "Unlimited 5G", "No more data caps.", 22.0),
    OfferSpec("MOB-FAMILY", "Family Plan", "Four SIMs, shared unlimited data.", 55.0, (), ("consumer",)),
    OfferSpec("TV-MOVIES", "Movies Pack", "New releases every week.", 10.0),
    OfferSpec("SH-THERMO", "Smart Thermostat", "Cut heating bills by up to 10%.", 179.0),
    OfferSpec("SH-DOORBELL", "Video Doorbell", "See who is at the door from anywhere.", 129.0),
    OfferSpec(
        "CL-FAN",
        "Beat the heat: Tower Fan",
        "Quiet cooling for hot nights.",
        59.0,
        ("FR", "ES", "US", "DE"),
        (),
        -30,
        120,
    ),
    OfferSpec(
        "CL-AC-PORT",
        "Portable Air Conditioner",
        "Cool any room without installation.",
        349.0,
        ("FR", "ES", "US"),
        (),
        -30,
        120,
    ),
    OfferSpec(
        "CL-AC-SPLIT",
        "Installed Air Conditioning",
        "Fitted by our engineers, 5-year warranty.",
        1190.0,
        ("ES", "US"),
        ("consumer", "small_business"),
    ),
    OfferSpec("INS-HOME", "Home Insurance", "Buildings and contents cover.", 20.0, ("GB", "NL", "DE")),
    OfferSpec("INS-TRAVEL", "Annual Travel Insurance", "Worldwide cover for the whole family.", 45.0),
    OfferSpec("EN-EV", "EV Charging Tariff", "Cheap overnight charging.", 42.0, ("GB", "NL", "DE")),
    OfferSpec(
        "SVC-PRIORITY", "Priority Support", "Skip the queue, 24/7.", 5.0, (), ("small_business", "enterprise")
    ),
    OfferSpec("HL-HEARING", "Hearing Care Plan", "Annual hearing checks and aid servicing.", 16.0),
    OfferSpec("BB-LANDLINE", "Landline Anytime (winter deal)", "Unlimited calls.", 7.0, (), (), 200, 400),
    OfferSpec("MOB-PHONE", "Smartphone X (spring launch)", "Launch price.", 749.0, (), (), -400, -60),
)


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """A region's context signal: it raises the offers of `categories` there by `boost`."""

    region: str
    kind: str
    label: str
    categories: tuple[str, ...]
    boost: float
    #: validity window in days relative to the seed's "now"
    valid_from_days: int
    valid_to_days: int


#: the seeded region signals (region names as in `places.COUNTRIES`, i.e. `customer.region`)
SIGNALS: Final[tuple[SignalSpec, ...]] = (
    SignalSpec("Andalucía", "heatwave", "Heatwave forecast in Andalucía", ("cooling",), 1.8, -1, 10),
    SignalSpec(
        "Provence-Alpes-Côte d'Azur", "heatwave", "Heatwave forecast in Provence", ("cooling",), 1.6, 0, 7
    ),
    SignalSpec("Bayern", "cold_snap", "Cold snap ahead in Bavaria", ("energy", "smart home"), 1.4, 0, 14),
)

#: queues an offer made on the phone was made in (the acceptance report per queue)
OFFER_QUEUES: Final[tuple[str, ...]] = ("Sales", "Retention", "Billing")


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    channel: str
    sl_threshold_s: int
    sl_target: float
    dispositions: tuple[tuple[str, str], ...]


QUEUES: Final[tuple[QueueSpec, ...]] = (
    QueueSpec(
        "Billing",
        "phone",
        20,
        0.8,
        (
            ("payment_taken", "Payment taken"),
            ("payment_plan", "Payment plan agreed"),
            ("refund_issued", "Refund issued"),
            ("invoice_explained", "Invoice explained"),
            ("direct_debit_updated", "Direct debit updated"),
        ),
    ),
    QueueSpec(
        "Technical Support",
        "phone",
        30,
        0.8,
        (
            ("fixed_first_contact", "Fixed on first contact"),
            ("engineer_booked", "Engineer visit booked"),
            ("remote_reset", "Remote reset done"),
            ("escalated_tier2", "Escalated to tier 2"),
            ("known_outage", "Known outage explained"),
        ),
    ),
    QueueSpec(
        "Sales",
        "phone",
        15,
        0.85,
        (
            ("sale_completed", "Sale completed"),
            ("quote_sent", "Quote sent"),
            ("callback_booked", "Callback booked"),
            ("not_interested", "Not interested"),
        ),
    ),
    QueueSpec(
        "Retention",
        "phone",
        20,
        0.9,
        (
            ("retained_offer", "Retained with an offer"),
            ("retained_no_offer", "Retained without an offer"),
            ("cancellation_processed", "Cancellation processed"),
            ("transferred_sales", "Transferred to sales"),
        ),
    ),
    QueueSpec(
        "Field Dispatch",
        "phone",
        60,
        0.7,
        (
            ("visit_booked", "Visit booked"),
            ("visit_rescheduled", "Visit rescheduled"),
            ("visit_completed", "Visit completed"),
            ("no_access", "No access at the address"),
        ),
    ),
)

#: disposition codes that apply in every queue (queue_id NULL)
GLOBAL_DISPOSITIONS: Final[tuple[tuple[str, str], ...]] = (
    ("wrong_number", "Wrong number"),
    ("no_answer", "No answer"),
    ("duplicate_contact", "Duplicate contact"),
    ("abusive_caller", "Abusive caller: call ended"),
)
