"""The closed topic list that every scorer picks from, so topics aggregate cleanly."""

from __future__ import annotations

# A default for a utility / telecom support Page. Keywords feed the offline scorer; the
# names are the only values any scorer may return.
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "billing": ("bill", "invoice", "charge", "charged", "factura", "rechnung", "facture", "price"),
    "payment": ("pay", "payment", "paid", "card", "refund", "pago", "zahlung", "paiement"),
    "outage": (
        "outage",
        "no power",
        "blackout",
        "no internet",
        "down",
        "apagón",
        "sin luz",
        "störung",
        "panne",
    ),
    "connection": ("connect", "wifi", "router", "signal", "slow", "speed", "internet", "network"),
    "meter_reading": ("meter", "reading", "lectura", "zähler", "compteur"),
    "account": ("account", "password", "login", "log in", "email", "cuenta", "konto", "compte"),
    "contract": ("contract", "plan", "tariff", "upgrade", "cancel", "contrato", "vertrag"),
    "installation": (
        "install",
        "installation",
        "technician",
        "appointment",
        "visit",
        "instalación",
    ),
    "moving": ("move", "moving", "new address", "relocat", "mudanza", "umzug"),
    "complaint": ("complaint", "unacceptable", "terrible", "worst", "queja", "beschwerde"),
}
DEFAULT_TOPICS: tuple[str, ...] = (*TOPIC_KEYWORDS, "other")


def detect_topics(text: str, limit: int = 3) -> list[str]:
    lowered = text.lower()
    hits = [
        (sum(lowered.count(word) for word in words), topic)
        for topic, words in TOPIC_KEYWORDS.items()
    ]
    ranked = [topic for count, topic in sorted(hits, key=lambda h: -h[0]) if count > 0]
    return ranked[:limit] or ["other"]
