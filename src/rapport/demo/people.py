"""Names, companies, languages and time zones for the demo's customers and agents."""

from __future__ import annotations

# fmt: off
FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Sophia", "Mateo", "Mia", "Elijah", "Amelia", "Hugo", "Isla",
    "Leo", "Freya", "Oscar", "Chloe", "Arthur", "Léa", "Louis", "Hannah", "Felix", "Lena", "Jonas", "Marie", "Paul",
    "Sofia", "Diego", "Lucía", "Martín", "Valentina", "Pablo", "Giulia", "Luca", "Aurora", "Marco", "Inês", "Tiago",
    "Beatriz", "João", "Saanvi", "Arjun", "Priya", "Rohan", "Yuki", "Haruto", "Sakura", "Ren", "Amara", "Kwame", "Zara",
    "Tunde", "Nia", "Omar", "Layla", "Yusuf", "Fatima", "Elif", "Emre", "Anna", "Lars", "Ingrid", "Sven", "Astrid",
    "Mila", "Daan", "Sanne", "Bram", "Eva", "Thomas", "Clara", "Jakob", "Nora", "Finn", "Maya", "Ethan", "Grace",
)
LAST = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker", "Müller",
    "Schmidt", "Schneider", "Fischer", "Weber", "Martin", "Bernard", "Dubois", "Laurent", "Moreau", "García",
    "Fernández", "López", "Martínez", "Sánchez", "Rossi", "Russo", "Ferrari", "Bianchi", "Silva", "Santos", "Oliveira",
    "Costa", "Patel", "Sharma", "Singh", "Kumar", "Tanaka", "Suzuki", "Sato", "Okafor", "Mensah", "Adeyemi", "Haddad",
    "Khan", "Yilmaz", "Demir", "Andersson", "Johansson", "Nielsen", "Hansen", "de Jong", "Jansen", "de Vries", "Bakker",
    "Novak", "Kowalski", "Nowak", "O'Brien", "Murphy", "Kelly",
)
# fmt: on
COMPANIES = (
    "Northwind Traders",
    "Contoso Retail",
    "Globex",
    "Initech",
    "Umbrella Gardens",
    "Stark Logistics",
    "Wayne Foods",
    "Acme Bikes",
    "Bluebird Travel",
    "Cobalt Labs",
    "Dunder Paper",
    "Evergreen Health",
    "Fjord Fisheries",
    "Golden Gate Print",
    "Harbor Insurance",
    "Ivy Learning",
    "Juniper Studios",
    "Kestrel Energy",
    "Lumen Optics",
    "Maple Legal",
    "Nimbus Cloud",
    "Orchid Spa",
    "Pinnacle Sports",
    "Quartz Jewellery",
    "Redwood Homes",
    "Sierra Outdoor",
    "Tidal Media",
    "Urban Bakery",
    "Vertex Consulting",
    "Willow Pets",
)
# language: (weight, time zones, phone country code)
LANGUAGES = {
    "en": (
        58,
        ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Australia/Sydney"),
        "1",
    ),
    "de": (10, ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"), "49"),
    "fr": (8, ("Europe/Paris", "Europe/Brussels", "America/Montreal"), "33"),
    "es": (8, ("Europe/Madrid", "America/Mexico_City", "America/Bogota"), "34"),
    "nl": (5, ("Europe/Amsterdam",), "31"),
    "pt": (5, ("Europe/Lisbon", "America/Sao_Paulo"), "351"),
    "it": (3, ("Europe/Rome",), "39"),
    "sv": (3, ("Europe/Stockholm",), "46"),
}
SEGMENTS = (("consumer", 62), ("small_business", 28), ("enterprise", 10))
PLANS = ("free", "starter", "pro", "business")
MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "inbox.example")
