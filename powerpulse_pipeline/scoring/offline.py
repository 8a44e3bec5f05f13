"""The built-in scorer: deterministic rules and small lexicons, no network, no weights.

It reads the customer's side of the conversation, weighting the last customer turns most,
because how a chat ends says more about satisfaction than how it started.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..ingest.records import AGENT, CUSTOMER
from .base import SCORED, ScoreRecord, ScoringStats, Transcript
from .topics import detect_topics

VERSION = "1"

_WORD = re.compile(r"[\w']+|[\U0001F300-\U0001FAFF\u2600-\u27BF]", re.UNICODE)

POSITIVE = {
    "thanks": 1.0,
    "thank": 1.0,
    "thx": 1.0,
    "great": 1.5,
    "perfect": 2.0,
    "awesome": 2.0,
    "excellent": 2.0,
    "good": 1.0,
    "helpful": 1.5,
    "works": 1.2,
    "working": 0.8,
    "solved": 2.0,
    "resolved": 2.0,
    "fixed": 1.8,
    "appreciate": 1.5,
    "love": 1.5,
    "happy": 1.5,
    "glad": 1.2,
    "nice": 1.0,
    "ok": 0.3,
    "okay": 0.3,
    "fine": 0.5,
    "gracias": 1.0,
    "perfecto": 2.0,
    "genial": 1.5,
    "danke": 1.0,
    "super": 1.2,
    "merci": 1.0,
    "parfait": 2.0,
    "obrigado": 1.0,
    "obrigada": 1.0,
    "👍": 1.5,
    "🙏": 1.0,
    "😊": 1.5,
    "🙂": 1.0,
    "❤": 1.5,
    "😀": 1.5,
    "👌": 1.2,
}
NEGATIVE = {
    "not": -0.4,
    "no": -0.3,
    "never": -0.8,
    "bad": -1.5,
    "terrible": -2.5,
    "awful": -2.5,
    "worst": -2.5,
    "angry": -2.0,
    "annoyed": -1.5,
    "frustrated": -2.0,
    "frustrating": -2.0,
    "disappointed": -2.0,
    "useless": -2.2,
    "ridiculous": -2.0,
    "unacceptable": -2.5,
    "still": -0.8,
    "again": -0.6,
    "waiting": -0.8,
    "wait": -0.5,
    "broken": -1.5,
    "problem": -0.8,
    "issue": -0.6,
    "wrong": -1.2,
    "cancel": -1.0,
    "complaint": -1.5,
    "refund": -0.8,
    "slow": -1.0,
    "down": -0.6,
    "outage": -1.0,
    "hours": -0.3,
    "nobody": -1.5,
    "horrible": -2.5,
    "scam": -2.5,
    "hate": -2.5,
    "fail": -1.2,
    "failed": -1.2,
    "error": -0.8,
    "charged": -0.6,
    "overcharged": -2.0,
    "malo": -1.5,
    "terrible.": -2.5,
    "problema": -0.8,
    "nunca": -0.8,
    "todavía": -0.8,
    "schlecht": -1.5,
    "problème": -0.8,
    "😡": -2.5,
    "😠": -2.0,
    "😤": -1.8,
    "😞": -1.5,
    "😢": -1.5,
    "👎": -2.0,
    "🤬": -2.5,
}
RESOLVED_CUES = (
    "thank",
    "thanks",
    "works now",
    "working now",
    "solved",
    "resolved",
    "fixed",
    "all good",
    "that helped",
    "got it",
    "perfect",
    "great",
    "gracias",
    "funciona",
    "danke",
    "merci",
)
UNRESOLVED_CUES = (
    "still",
    "not working",
    "doesn't work",
    "does not work",
    "didn't help",
    "no one",
    "nobody",
    "again",
    "cancel",
    "escalate",
    "complaint",
    "useless",
    "waiting",
)
LANGUAGE_HINTS = {
    "es": {"hola", "gracias", "por", "favor", "el", "la", "que", "no", "mi", "luz", "factura"},
    "de": {"hallo", "danke", "bitte", "ich", "nicht", "und", "die", "der", "mein", "ist"},
    "fr": {"bonjour", "merci", "je", "pas", "le", "la", "mon", "est", "et", "une"},
    "pt": {"olá", "obrigado", "obrigada", "não", "meu", "minha", "está", "conta", "com"},
    "en": {"the", "is", "my", "and", "to", "not", "you", "it", "hi", "hello", "please"},
}


def _lexicon_score(text: str) -> float:
    tokens = _WORD.findall(text.lower())
    total = 0.0
    for i, token in enumerate(tokens):
        weight = POSITIVE.get(token, 0.0) + NEGATIVE.get(token, 0.0)
        if weight > 0 and i > 0 and tokens[i - 1] in {"not", "no", "never", "isn't", "don't"}:
            weight = -weight
        total += weight
    if "!" in text and total < 0:
        total *= 1.2
    return total


def _squash(value: float) -> float:
    return max(-1.0, min(1.0, value / (abs(value) + 2.0)))


def detect_language(text: str) -> str:
    words = set(_WORD.findall(text.lower()))
    best, best_hits = "en", 0
    for language, hints in LANGUAGE_HINTS.items():
        hits = len(words & hints)
        if hits > best_hits:
            best, best_hits = language, hits
    return best


def score_transcript(transcript: Transcript) -> ScoreRecord:
    customer = [text for role, text in transcript.turns if role == CUSTOMER]
    answered = any(role == AGENT for role, _ in transcript.turns)
    weights = [1.0 + i for i in range(len(customer))]  # later turns weigh more
    scores = [_lexicon_score(text) for text in customer]
    weighted = sum(w * s for w, s in zip(weights, scores, strict=True)) / (sum(weights) or 1.0)
    sentiment = _squash(weighted)
    last = customer[-1].lower() if customer else ""
    resolved_cue = any(cue in last for cue in RESOLVED_CUES)
    unresolved_cue = any(cue in last for cue in UNRESOLVED_CUES)
    resolved = answered and resolved_cue and not unresolved_cue
    if not answered:
        sentiment = min(sentiment, 0.0) - 0.2
    satisfaction = 3 + round(2 * sentiment)
    if resolved:
        satisfaction += 1
    if not answered:
        satisfaction -= 1
    satisfaction = max(1, min(5, satisfaction))
    text = " ".join(customer)
    summary = (customer[0][:140] if customer else "") or "(no customer text)"
    return ScoreRecord(
        content_hash=transcript.content_hash,
        status=SCORED,
        sentiment=round(max(-1.0, min(1.0, sentiment)), 3),
        satisfaction=satisfaction,
        resolved=resolved,
        topics=tuple(detect_topics(text)),
        language=detect_language(text),
        summary=summary,
    )


class OfflineScorer:
    name = f"offline:{VERSION}"
    version = VERSION

    def score_all(
        self,
        transcripts: Sequence[Transcript],
        save: Callable[[list[ScoreRecord]], None],
        log: Callable[[str], None],
    ) -> ScoringStats:
        batch: list[ScoreRecord] = []
        for transcript in transcripts:
            batch.append(score_transcript(transcript))
            if len(batch) >= 1000:
                save(batch)
                batch = []
        if batch:
            save(batch)
        return ScoringStats(requests=0)
