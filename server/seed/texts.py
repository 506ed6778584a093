"""Templates for the words in seeded history: summaries, case subjects, notes, agents, partners."""

from typing import Final

#: per queue: (case subject, interaction topic) pairs; `{product}` is one of the customer's products
TOPICS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "Billing": (
        ("Charged twice for {product}", "a duplicate charge for {product}"),
        ("Bill higher than expected", "a higher bill than expected"),
        ("Refund not received", "a refund that has not arrived"),
        ("Direct debit failed", "a failed direct debit"),
        ("Request for a payment plan", "spreading payments over three months"),
        ("Discount missing from invoice", "a discount missing on {product}"),
    ),
    "Technical Support": (
        ("{product} keeps dropping", "{product} dropping several times a day"),
        ("No service on {product}", "a total loss of service on {product}"),
        ("Slow speeds on {product}", "slow speeds on {product} in the evening"),
        ("Cannot log in to the app", "trouble signing in to the app"),
        ("Router lights flashing red", "a router showing a red light"),
        ("{product} not working after update", "{product} failing since the last update"),
    ),
    "Sales": (
        ("Interested in upgrading {product}", "upgrade options for {product}"),
        ("Quote for business lines", "a quote for five business lines"),
        ("Moving house: new contract", "setting up service at a new address"),
        ("Question about {product} pricing", "pricing of {product}"),
    ),
    "Retention": (
        ("Wants to cancel {product}", "cancelling {product}"),
        ("Competitor offer received", "a cheaper competitor offer"),
        ("Contract renewal due", "the renewal of {product}"),
        ("Unhappy with price rise", "this year's price rise"),
    ),
    "Field Dispatch": (
        ("Engineer visit needed for {product}", "an engineer visit for {product}"),
        ("Missed appointment", "an engineer who did not arrive"),
        ("Installation of {product}", "installing {product}"),
        ("Damaged cable at property", "a damaged cable outside the property"),
    ),
}

#: per channel: how the contact is summarised; `{topic}` from TOPICS, `{partner}` for partners
SUMMARIES: Final[dict[str, tuple[str, ...]]] = {
    "phone": (
        "Customer called about {topic}.",
        "Call about {topic}; explained the next steps.",
        "Inbound call regarding {topic}. Customer satisfied with the answer.",
        "Customer rang about {topic}; checked the account and confirmed details.",
    ),
    "email": (
        "Email about {topic}.",
        "Customer wrote in about {topic}; replied with instructions.",
        "Email thread on {topic}, attachments reviewed.",
    ),
    "chat": (
        "Web chat about {topic}.",
        "Chat session: {topic}. Sent a help article.",
    ),
    "web": (
        "Web form submitted about {topic}.",
        "Self-service request online: {topic}.",
    ),
    "field_visit": (
        "Engineer visit: {topic}.",
        "On-site visit about {topic}; work completed and tested.",
        "Field visit for {topic}; parts ordered.",
    ),
    "partner": (
        "{partner} reported {topic}.",
        "Referral from {partner} about {topic}.",
    ),
    "store": (
        "Visited the store about {topic}.",
        "In-store conversation about {topic}.",
    ),
    "social": (
        "Public post about {topic}; moved to direct messages.",
        "Direct message on social media about {topic}.",
    ),
}

OUTCOMES: Final[dict[str, tuple[str, ...]]] = {
    "email": ("replied", "resolved", "awaiting_customer", "forwarded"),
    "web": ("auto_acknowledged", "resolved", "forwarded"),
    "social": ("replied", "moved_to_private", "resolved"),
    "store": ("resolved", "sale", "appointment_booked", "info_provided"),
    "partner": ("accepted", "forwarded", "resolved"),
}

PARTNERS: Final = ("Northwind Retail", "Contoso Installations", "Fabrikam Energy", "Tailspin Mobile")

DESCRIPTIONS: Final = (
    "Customer reports the issue started {days} days ago. {detail}",
    "Reported by phone. {detail} Customer would like an update by email.",
    "{detail} Account checked, no open outages in the area at the time.",
    "Second contact about this. {detail}",
)
DETAILS: Final = (
    "Already restarted the equipment twice.",
    "Happens mostly in the evening.",
    "Customer is vulnerable and asked for a callback, not a text.",
    "Customer has a business relying on the service.",
    "Customer provided photos by email.",
    "Issue affects the whole household.",
)
NOTES: Final = (
    "Called the customer back, no answer; left a voicemail.",
    "Checked line diagnostics: noise on the line, raising with the network team.",
    "Customer confirmed the fix works.",
    "Waiting for the customer to send the meter reading.",
    "Escalated to tier 2 with the diagnostics attached.",
    "Credit of 10.00 applied as goodwill.",
    "Engineer appointment booked for next week, morning slot.",
    "Customer asked to be contacted by email only.",
    "Spoke to the customer: explained the invoice line by line.",
    "Partner confirmed the order has shipped.",
    "We have fixed the fault at the exchange. Please restart your router.",
    "Thank you for your patience: your refund has been processed.",
)
DECLINE_REASONS: Final = (
    "Too expensive",
    "Already have something similar",
    "Not the right time",
    "Not interested",
    "Will think about it",
    "Bad experience before",
)
