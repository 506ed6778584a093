"""Locale-appropriate names: given and family names per country, and organisation name parts."""

from typing import Final

GIVEN: Final[dict[str, tuple[str, ...]]] = {
    "GB": (
        "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Daniel",
        "Samuel", "Olivia", "Amelia", "Isla", "Emily", "Ava", "Sophie", "Grace", "Chloe", "Eleanor",
        "Hannah", "Siobhan", "Aoife", "Rhys", "Callum", "Priya", "Mohammed", "Fatima", "Kwame",
    ),
    "DE": (
        "Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Jürgen", "Stefan", "Matthias",
        "Anna", "Lena", "Marie", "Sophie", "Katharina", "Julia", "Sabine", "Ursula", "Jörg", "Günther",
        "Emir", "Ayşe", "Mehmet", "Zoë", "Björn", "Hannelore", "Frauke", "Renée",
    ),
    "FR": (
        "Lucas", "Hugo", "Louis", "Gabriel", "Jules", "Théo", "Raphaël", "Mathéo", "Benoît", "François",
        "Emma", "Léa", "Chloé", "Manon", "Camille", "Inès", "Zoé", "Hélène", "Céline", "Amélie",
        "Anaïs", "Noémie", "Jérôme", "Stéphane", "Karim", "Yasmine", "Aurélien", "Éloïse",
    ),
    "NL": (
        "Daan", "Sem", "Lucas", "Levi", "Bram", "Thijs", "Jeroen", "Pieter", "Sander", "Joris",
        "Emma", "Julia", "Sophie", "Tess", "Fenna", "Sanne", "Anouk", "Lotte", "Femke", "Marieke",
        "Ruud", "Wouter", "Inge", "Mirjam", "Noor", "Ilse", "Koen", "Eline",
    ),
    "US": (
        "Liam", "Noah", "Elijah", "James", "Michael", "Benjamin", "Ethan", "Mason", "Tyler", "Jamal",
        "Olivia", "Emma", "Charlotte", "Sophia", "Madison", "Abigail", "Harper", "Brianna", "Keisha",
        "Mei", "Wei", "Carlos", "María", "José", "Hiroshi", "Aaliyah", "DeShawn", "Connor",
    ),
    "ES": (
        "Hugo", "Martín", "Lucas", "Mateo", "Leo", "Daniel", "Alejandro", "Pablo", "Álvaro", "Jordi",
        "Lucía", "Sofía", "Martina", "María", "Julia", "Paula", "Valeria", "Núria", "Begoña", "Inés",
        "Íñigo", "Xabier", "Ainhoa", "Montserrat", "Sergio", "Raúl", "Rocío", "Ángela",
    ),
}

FAMILY: Final[dict[str, tuple[str, ...]]] = {
    "GB": (
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
        "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Hughes",
        "O'Brien", "McDonald", "Patel", "Khan", "Singh", "Murphy", "Campbell", "ap Rhys", "Okafor",
    ),
    "DE": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
        "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Yılmaz",
        "Öztürk", "Weiß",
    ),
    "FR": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèbvre", "Mercier", "Dupont",
        "Benali", "Nguyen",
    ),
    "NL": (
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
        "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
        "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
        "Kuipers", "Yılmaz", "El Amrani",
    ),
    "US": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Jackson", "Lee", "Nguyen", "Kim", "Washington", "O'Connor", "Nakamura", "Chen",
        "Kowalski", "Rivera",
    ),
    "ES": (
        "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
        "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
        "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
        "Puig", "Etxeberria", "Castro",
    ),
}

ORG_SUFFIX: Final[dict[str, tuple[str, ...]]] = {
    "GB": ("Ltd", "plc", "& Sons Ltd", "LLP"),
    "DE": ("GmbH", "AG", "GmbH & Co. KG", "e.K."),
    "FR": ("SARL", "SAS", "SA", "& Fils"),
    "NL": ("B.V.", "N.V.", "& Zn."),
    "US": ("Inc.", "LLC", "Corp.", "Co."),
    "ES": ("S.L.", "S.A.", "y Asociados S.L."),
}

ORG_TRADE: Final[dict[str, tuple[str, ...]]] = {
    "GB": ("Building", "Logistics", "Catering", "Dental", "Plumbing", "Print", "Accountants"),
    "DE": ("Bau", "Logistik", "Gastronomie", "Zahnarztpraxis", "Sanitär", "Druckerei", "Steuerberatung"),
    "FR": ("Bâtiment", "Transports", "Traiteur", "Cabinet Dentaire", "Plomberie", "Imprimerie", "Conseil"),
    "NL": ("Bouw", "Logistiek", "Catering", "Tandartspraktijk", "Installatie", "Drukkerij", "Advies"),
    "US": ("Construction", "Freight", "Catering", "Dental", "Plumbing", "Printing", "Consulting"),
    "ES": ("Construcciones", "Transportes", "Catering", "Clínica Dental", "Fontanería", "Imprenta", "Asesoría"),
}

#: made-up mail providers under the reserved `.example` top-level domain: never a real mailbox
MAIL_DOMAINS: Final[dict[str, tuple[str, ...]]] = {
    "GB": ("postbox.example", "britmail.example", "inbox-uk.example"),
    "DE": ("webpost.example", "mailhaus.example", "postfach.example"),
    "FR": ("courrier.example", "laposte-web.example", "boite.example"),
    "NL": ("postvak.example", "mailnl.example"),
    "US": ("mailbox.example", "usmail.example", "inbox.example"),
    "ES": ("correo.example", "buzon.example"),
}
