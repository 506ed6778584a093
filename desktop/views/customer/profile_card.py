"""The profile card: who the customer is, and — unmistakably — whether they may be contacted.

Do-not-contact is a red banner at the top of the card; no consent to contact is an amber one;
marketing consent is spelled out in words and a mark, never by colour alone.
"""

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop.services.customer_screen import Profile
from desktop.views.customer.banners import banner
from desktop.views.i18n import tr


def language_name(code: str) -> str:
    """`de` → `German (de)`; the code alone when Qt does not know it."""
    if not code:
        return tr("not set")
    locale = QLocale(code)
    if locale.language() == QLocale.Language.C:
        return code
    return f"{QLocale.languageToString(locale.language())} ({code})"


class ProfileCard(QWidget):
    """Name, organisation, segment and tier, lifetime value, language, region, consent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileCard")
        self.name = QLabel(self)
        self.name.setObjectName("customerName")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name.setWordWrap(True)  # large and bold: the theme's `QLabel#customerName` rule
        self.subtitle = QLabel(self)
        self.subtitle.setWordWrap(True)
        self.dnc_banner = banner(
            tr("⚠ DO NOT CONTACT: this customer asked not to be contacted."), "breached", self
        )
        self.dnc_banner.setObjectName("doNotContactBanner")
        self.no_consent_banner = banner(
            tr("No consent to be contacted: answer, but do not call back."), "near", self
        )
        self.no_consent_banner.setObjectName("noContactConsentBanner")
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for key, label in (
            ("organisation", tr("Organisation")),
            ("segment", tr("Segment / tier")),
            ("value", tr("Lifetime value")),
            ("language", tr("Language")),
            ("region", tr("Region")),
            ("contact", tr("Contact consent")),
            ("marketing", tr("Marketing consent")),
        ):
            value = QLabel(self)
            value.setObjectName(f"profile_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(label, value)
            self.fields[key] = value
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.dnc_banner)
        layout.addWidget(self.no_consent_banner)
        layout.addLayout(form)

    def show_profile(self, profile: Profile | None) -> None:
        if profile is None:
            self.name.setText(tr("Customer not in the cache"))
            self.subtitle.setText(tr("It may have been deleted or moved out of your scopes."))
            self.dnc_banner.hide()
            self.no_consent_banner.hide()
            for label in self.fields.values():
                label.clear()
            return
        self.name.setText(profile.display_name)
        kind = tr("Organisation") if profile.kind == "organisation" else tr("Person")
        self.subtitle.setText(f"{kind} · {profile.account_number}" if profile.account_number else kind)
        self.dnc_banner.setVisible(profile.do_not_contact)
        self.no_consent_banner.setVisible(not profile.do_not_contact and not profile.consent_contact)
        locale = QLocale()
        region = ", ".join(p for p in (profile.region, profile.postcode or "", profile.country) if p)
        yes, no = tr("✓ yes"), tr("✗ no")
        values = {
            "organisation": profile.organisation or "—",
            "segment": f"{profile.segment.capitalize()} / {profile.tier.capitalize()}",
            "value": locale.toString(profile.lifetime_value, "f", 2),
            "language": language_name(profile.language),
            "region": region or "—",
            "contact": tr("✗ DO NOT CONTACT")
            if profile.do_not_contact
            else (yes if profile.consent_contact else no),
            "marketing": yes if profile.consent_marketing else no,
        }
        for key, text in values.items():
            self.fields[key].setText(text)
            self.fields[key].setAccessibleName(text)
