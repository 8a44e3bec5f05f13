"""The closed topic list that every scorer picks from, so topics aggregate cleanly."""

from __future__ import annotations

import re

# A default for a utility / telecom support Page. Keywords feed the offline scorer; the
# names are the only values any scorer may return. A keyword matches whole words from the start
# of a word, optionally followed by a common inflection ("bill" finds "bills" and "billed", but
# neither "billion" nor "download" is taken for "bill" or "down").
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "billing": (
        "bill", "billing", "invoice", "charge", "overcharged", "price", "fee", "tariff increase",
        "statement", "factura", "cobro", "cobraron", "rechnung", "abrechnung", "facture",
        "facturation", "fatura", "cobrança",
    ),
    "payment": (
        "pay", "paid", "payment", "card", "refund", "direct debit", "transfer", "pago", "pagué",
        "reembolso", "zahlung", "bezahlt", "lastschrift", "erstattung", "paiement", "payé",
        "remboursement", "pagamento", "paguei",
    ),
    "outage": (
        "outage", "no power", "power cut", "blackout", "no electricity", "no internet",
        "no signal", "no service", "is down", "are down", "went down", "service down",
        "apagón", "sin luz", "corte de luz", "avería", "störung", "stromausfall", "panne",
        "coupure", "sem luz", "apagão",
    ),
    "connection": (
        "connect", "connection", "disconnect", "wifi", "wi-fi", "router", "modem", "signal",
        "slow", "speed", "internet", "network", "broadband", "fiber", "fibre", "conexión",
        "verbindung", "netz", "langsam", "connexion", "réseau", "conexão", "rede",
    ),
    "meter_reading": (
        "meter", "meter reading", "reading", "readings", "lectura", "contador", "zähler",
        "zählerstand", "compteur", "relevé", "leitura", "medidor",
    ),
    "account": (
        "account", "password", "login", "log in", "sign in", "username", "email", "e-mail",
        "cuenta", "contraseña", "konto", "passwort", "compte", "mot de passe", "conta", "senha",
    ),
    "contract": (
        "contract", "plan", "tariff", "upgrade", "downgrade", "cancel", "cancelled", "canceled",
        "cancellation", "renew", "contrato", "tarifa", "vertrag", "kündigen", "kündigung",
        "contrat", "forfait", "résilier", "plano",
    ),
    "installation": (
        "install", "installation", "installed", "technician", "engineer", "appointment",
        "visit", "instalación", "técnico", "cita", "installateur", "techniker", "termin",
        "technicien", "rendez-vous", "instalação",
    ),
    "moving": (
        "move", "moving", "new address", "relocate", "relocating", "relocation", "mudanza",
        "me mudo", "umzug", "ziehe um", "déménagement", "déménage", "mudança",
    ),
    "complaint": (
        "complaint", "complain", "unacceptable", "terrible", "worst", "disgrace", "ombudsman",
        "queja", "reclamación", "beschwerde", "plainte", "réclamation", "reclamação",
    ),
}  # fmt: skip
DEFAULT_TOPICS: tuple[str, ...] = (*TOPIC_KEYWORDS, "other")

_TOPIC_OF: dict[str, str] = {
    keyword: topic for topic, keywords in TOPIC_KEYWORDS.items() for keyword in keywords
}
# One pass over the text for all topics; longer keywords first, so "meter reading" beats "meter".
_KEYWORD = re.compile(
    r"\b("
    + "|".join(re.escape(k) for k in sorted(_TOPIC_OF, key=len, reverse=True))
    + r")(?:s|es|d|ed|ing|ings)?\b"
)


def detect_topics(text: str, limit: int = 3) -> list[str]:
    """Up to `limit` topics by how often their keywords occur, else ["other"]."""
    counts = dict.fromkeys(TOPIC_KEYWORDS, 0)
    for keyword in _KEYWORD.findall(text.lower()):
        counts[_TOPIC_OF[keyword]] += 1
    ranked = sorted((topic for topic in counts if counts[topic]), key=lambda t: -counts[t])
    return ranked[:limit] or ["other"]
