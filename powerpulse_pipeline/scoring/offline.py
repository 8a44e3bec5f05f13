"""The built-in scorer: deterministic rules and hand-written lexicons, no network, no weights.

1. Each turn gets a VADER-style valence from general lexicons (lexicon.py: English plus small
   es/de/fr/pt lists): a negator up to three words before (not across punctuation) flips and
   damps a word, intensifiers, CAPS and "!" strengthen it, the clause after "but" counts more.
2. Sentiment is the customer's turns averaged by position with the last turn doubled: how a chat
   ends says more than how it started.
3. Resolution is a logistic score from the customer's last turn (thanks or "works now" up;
   "still", "again", a negated "fixed", a question left open down; thanks beside "please" or "?"
   is politeness, not a verdict) and its tone, and the agent's last reply (steps or a done action
   up; "DM us", "we will check", "unfortunately we cannot", a question back down). No agent reply
   means not resolved. `resolved` is that score >= 0.5.
4. Satisfaction (1..5) cuts sentiment plus resolution (counted from "no evidence either way") at
   fixed symmetric points; an agent apology or refusal (a service failure owned) pulls it down.
5. The quality review (offline_quality.py) reads the same turns: greeting, comprehension,
   empathy, solution, closing and tone are each passed, failed or not applicable by phrase rules
   and the agent's valence, and the first failure in order of importance becomes the coaching
   note. It changes none of the scores above; a chat without an agent reply is not reviewed.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from typing import Generic, TypeVar

from ..ingest.records import AGENT, CUSTOMER
from . import lexicon as lx
from . import offline_quality  # a module import: it reads this module's helpers too
from .base import SCORED, ScoreRecord, ScoringStats, Transcript
from .topics import detect_topics

VERSION = "3"

ATTACHMENT = "[attachment]"
_URL = re.compile(r"https?://\S+|www\.\S+")
_TOKEN = re.compile(
    r"[:;]-?[()dDpP/](?!\w)|<3"  # emoticons (URLs are removed first, so "http://" cannot match)
    r"|[^\W_]+(?:'[^\W_]+)*"  # words, keeping contractions whole
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]"  # emoji
    r"|[.,;:!?]",  # clause boundaries: negation does not reach across them
    re.UNICODE,
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_BOUNDARY = frozenset(".,;:!?")
_CONTRAST = frozenset({"but", "however", "pero", "aber", "mais", "mas", "though"})
_REQUEST = frozenset({"please", "pls", "plz", "favor", "bitte", "plaît"})
_NORMALISE = str.maketrans({"’": "'", "‘": "'", "？": "?", "！": "!", "，": ",", "。": "."})
_NEGATION_SCALAR = -0.74  # VADER's: a negated word keeps some of its strength, reversed
_CAPS_BOOST = 0.733
_EXCLAMATION_BOOST = 0.292
_SQUASH_ALPHA = 15.0  # VADER's normalisation constant
PROGRESS_EVERY_SECONDS = 10.0


_Key = tuple[str, ...]
V = TypeVar("V")


@dataclass(frozen=True)
class Table(Generic[V]):
    """Entries keyed by one or more tokens, with the longest key per first token for speed."""

    entries: dict[_Key, V]
    longest: dict[str, int]

    @classmethod
    def of(cls, entries: dict[_Key, V]) -> Table[V]:
        longest: dict[str, int] = {}
        for key in entries:
            longest[key[0]] = max(longest.get(key[0], 0), len(key))
        return cls(entries, longest)

    def match(self, tokens: Sequence[str], i: int) -> tuple[V | None, int]:
        """The longest entry starting at token i, and how many tokens it covers."""
        longest = self.longest.get(tokens[i])
        if longest is not None:
            for n in range(min(longest, len(tokens) - i), 0, -1):
                value = self.entries.get(tuple(tokens[i : i + n]))
                if value is not None:
                    return value, n
        return None, 1


@dataclass(frozen=True)
class Language:
    """Everything the rules look up, for English plus one other language."""

    valence: Table[float]
    negators: frozenset[str]
    boosters: dict[str, float]
    customer_cues: Table[str]
    agent_cues: Table[str]


def _keyed(entries: dict[str, V]) -> dict[_Key, V]:
    return {tuple(text.split()): value for text, value in entries.items()}


@cache
def _language(code: str) -> Language:
    valence = _keyed(
        {
            **lx.EN_WORDS,
            **lx.OTHER_WORDS.get(code, {}),
            **lx.EN_PHRASES,
            **lx.OTHER_PHRASES.get(code, {}),
        }
    )
    customer_cues: dict[str, str] = {}
    # Later kinds win on a shared key: "not working" is unresolved, not a confirmation.
    for kind, english, other in (
        ("acceptance", lx.EN_ACCEPTANCE, frozenset()),
        ("gratitude", lx.EN_GRATITUDE, lx.OTHER_GRATITUDE.get(code, frozenset())),
        ("confirmed", lx.EN_CONFIRMED, lx.OTHER_CONFIRMED.get(code, frozenset())),
        ("unresolved", lx.EN_UNRESOLVED, lx.OTHER_UNRESOLVED.get(code, frozenset())),
    ):
        customer_cues.update(dict.fromkeys(english | other, kind))
    # "thanks again" is gratitude; the "again" in it must not read as a recurring problem.
    customer_cues.update(dict.fromkeys(("thanks again", "thank you again"), "gratitude"))
    agent_cues: dict[str, str] = {}
    for kind, english, other in (
        ("apology", lx.EN_AGENT_APOLOGY, lx.OTHER_AGENT_APOLOGY.get(code, frozenset())),
        ("failure", lx.EN_AGENT_FAILURE, lx.OTHER_AGENT_FAILURE.get(code, frozenset())),
        ("solution", lx.EN_AGENT_SOLUTION, lx.OTHER_AGENT_SOLUTION.get(code, frozenset())),
        ("deferral", lx.EN_AGENT_DEFERRAL, lx.OTHER_AGENT_DEFERRAL.get(code, frozenset())),
    ):
        agent_cues.update(dict.fromkeys(english | other, kind))
    return Language(
        valence=Table.of(valence),
        negators=lx.EN_NEGATORS | lx.OTHER_NEGATORS.get(code, frozenset()),
        boosters={**lx.EN_BOOSTERS, **lx.OTHER_BOOSTERS.get(code, {})},
        customer_cues=Table.of(_keyed(customer_cues)),
        agent_cues=Table.of(_keyed(agent_cues)),
    )


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """Lower-cased tokens and the same tokens as written (for CAPS emphasis)."""
    raw = _TOKEN.findall(_URL.sub(" ", text.translate(_NORMALISE)))
    return list(map(str.lower, raw)), raw


def _negated(tokens: Sequence[str], start: int, negators: frozenset[str]) -> bool:
    for j in range(start - 1, max(-1, start - 4), -1):
        if tokens[j] in _BOUNDARY:
            return False
        if tokens[j] in negators:
            return True
    return False


def _valence(tokens: list[str], raw: list[str], lang: Language) -> float:
    """VADER-like sum of valences, before squashing."""
    # Both only matter once a word carries valence; most turns have none or few.
    shouting_everywhere: bool | None = None
    contrast_at: int | None = None
    total = 0.0
    candidates = lang.valence.longest  # most tokens start no entry: only visit those that do
    resume = 0  # tokens covered by a longer entry are not read again
    for i in [k for k, t in enumerate(tokens) if t in candidates]:
        if i < resume:
            continue
        value, span = lang.valence.match(tokens, i)
        resume = i + span
        if value:
            if contrast_at is None:
                shouting_everywhere = all(not t.isalpha() or t.isupper() for t in raw)
                contrast_at = max((k for k, t in enumerate(tokens) if t in _CONTRAST), default=-1)
            sign = 1.0 if value > 0 else -1.0
            for distance, j in enumerate(range(i - 1, max(-1, i - 3), -1)):
                if tokens[j] in _BOUNDARY:
                    break
                value += sign * lang.boosters.get(tokens[j], 0.0) * (1.0 - 0.05 * distance)
            if not shouting_everywhere and len(raw[i]) > 1 and raw[i].isupper():
                value += sign * _CAPS_BOOST
            if _negated(tokens, i, lang.negators):
                value *= _NEGATION_SCALAR
            if contrast_at >= 0:  # "it works but it's slow": the clause after "but" counts
                value *= 1.5 if i > contrast_at else 0.5
            total += value
    if total:
        total += math.copysign(min(tokens.count("!"), 4) * _EXCLAMATION_BOOST, total)
    return total


def _squash(value: float) -> float:
    return value / math.sqrt(value * value + _SQUASH_ALPHA)


_NEGATED_CUE = {"confirmed": "unresolved", "acceptance": "unresolved"}


def _cues(tokens: list[str], table: Table[str], lang: Language) -> set[str]:
    """Which cue kinds occur; a negated confirmation ("not fixed") counts as unresolved."""
    found: set[str] = set()
    candidates = table.longest
    resume = 0
    for i in [k for k, t in enumerate(tokens) if t in candidates]:
        if i < resume:
            continue
        kind, span = table.match(tokens, i)
        resume = i + span
        if kind is not None:
            if _negated(tokens, i, lang.negators):
                kind = _NEGATED_CUE.get(kind)
            if kind is not None:
                found.add(kind)
    return found


@dataclass(frozen=True)
class Turn:
    """One side's consecutive messages, read once."""

    role: str
    sentiment: float  # [-1, 1]
    cues: frozenset[str]
    question: bool  # ends asking something
    words: int
    # Kept for the quality review, which reads the same tokens rather than tokenising again.
    tokens: tuple[str, ...] = field(default=(), compare=False, repr=False)
    raw: tuple[str, ...] = field(default=(), compare=False, repr=False)


def _read_block(role: str, texts: Sequence[str], lang: Language) -> Turn:
    text = " ".join(t for t in texts if t != ATTACHMENT)
    tokens, raw = _tokens(text)
    table = lang.customer_cues if role == CUSTOMER else lang.agent_cues
    cues = _cues(tokens, table, lang)
    words = len(tokens) - sum(map(_BOUNDARY.__contains__, tokens))
    if role == CUSTOMER and "acceptance" in cues and words > 3:
        cues.discard("acceptance")  # "ok" opening a longer message is not a verdict
    if role == CUSTOMER and ("?" in tokens or not _REQUEST.isdisjoint(tokens)):
        cues.discard("gratitude")  # "please fix it, thanks!" is politeness, not a verdict
    return Turn(
        role=role,
        sentiment=_squash(_valence(tokens, raw, lang)),
        cues=frozenset(cues),
        question="?" in tokens[-3:],
        words=words,
        tokens=tuple(tokens),
        raw=tuple(raw),
    )


def _blocks(transcript: Transcript) -> list[tuple[str, list[str]]]:
    """Consecutive turns of one side merged: customers often split a thought over messages."""
    blocks: list[tuple[str, list[str]]] = []
    for role, text in transcript.turns:
        if blocks and blocks[-1][0] == role:
            blocks[-1][1].append(text)
        else:
            blocks.append((role, [text]))
    return blocks


@dataclass(frozen=True)
class Reading:
    language: str
    turns: tuple[Turn, ...]
    sentiment: float
    resolution: float


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


_PRIOR = -0.6  # log-odds: a chat is not resolved until something says so
_NO_EVIDENCE = _sigmoid(_PRIOR)


def _resolution(turns: Sequence[Turn]) -> float:
    customer = [t for t in turns if t.role == CUSTOMER]
    replies = [t for t in turns if t.role == AGENT]
    if not replies:
        return 0.05  # nobody answered: nothing can have been resolved
    if not any(t.words for t in customer):
        return _NO_EVIDENCE  # an outbound message: there was no request to resolve
    z = _PRIOR
    last = customer[-1]
    if "confirmed" in last.cues:
        z += 2.5
    elif "gratitude" in last.cues:
        z += 1.8
    elif "acceptance" in last.cues:
        z += 1.0
    if "unresolved" in last.cues:
        z -= 1.5
    z += last.sentiment
    if turns[-1] is last and last.question:
        z -= 0.8  # the customer's last word is a question nobody answered
    reply = replies[-1]  # what the agent last did, whether or not the customer reacted
    if "solution" in reply.cues:
        z += 0.6
    if "deferral" in reply.cues or "failure" in reply.cues:
        z -= 0.6
    if turns[-1] is reply and reply.question:
        z -= 0.4  # still gathering facts when the chat ended
    return _sigmoid(z)


def _read(transcript: Transcript) -> Reading:
    customer_text = " ".join(t for r, t in transcript.turns if r == CUSTOMER and t != ATTACHMENT)
    language = detect_language(customer_text or " ".join(t for _, t in transcript.turns))
    lang = _language(language if language in lx.OTHER_WORDS else "en")
    turns = tuple(_read_block(role, texts, lang) for role, texts in _blocks(transcript))
    customer = [t for t in turns if t.role == CUSTOMER and t.words]
    weights = [float(k + 1) for k in range(len(customer))]
    if weights:
        weights[-1] *= 2.0
    sentiment = sum(w * t.sentiment for w, t in zip(weights, customer, strict=True)) / (
        sum(weights) or 1.0
    )
    return Reading(language, turns, sentiment, _resolution(turns))


def resolution_score(transcript: Transcript) -> float:
    """Probability-like score in [0, 1] that the customer's problem was solved."""
    return _read(transcript).resolution


def _satisfaction(reading: Reading) -> int:
    # Resolution counts from "no evidence either way", so an open chat is not held against anyone;
    # an unanswered one already sits at the bottom of the resolution scale.
    index = 0.55 * reading.sentiment + 0.9 * (reading.resolution - _NO_EVIDENCE)
    if any(t.cues & {"apology", "failure"} for t in reading.turns if t.role == AGENT):
        index -= 0.1
    for level, upper in ((1, -0.55), (2, -0.2), (3, 0.2), (4, 0.55)):
        if index < upper:
            return level
    return 5


def detect_language(text: str) -> str:
    """ISO 639-1 code from function words and telltale letters; English when nothing is known."""
    lowered = text.lower().translate(_NORMALISE)
    words = set(_WORD.findall(lowered))
    best, best_hits = "en", 0.0
    for language, hints in lx.LANGUAGE_HINTS.items():
        hits = float(len(words & hints))
        hits += 2.0 * sum(letter in lowered for letter in lx.LANGUAGE_LETTERS.get(language, ""))
        if hits > best_hits:
            best, best_hits = language, hits
    return best


def _summary(transcript: Transcript, reading: Reading) -> str:
    opener = next(
        (t for r, t in transcript.turns if r == CUSTOMER and t.strip() and t != ATTACHMENT), ""
    )
    opener = " ".join(opener.split())
    if len(opener) > 120:
        opener = opener[:117].rstrip() + "..."
    if not any(t.role == AGENT for t in reading.turns):
        outcome = "no agent reply"
    else:
        outcome = "resolved" if reading.resolution >= 0.5 else "not resolved"
    return f"{opener or '(no customer text)'} [{outcome}]"


def score_transcript(transcript: Transcript) -> ScoreRecord:
    reading = _read(transcript)
    customer_text = " ".join(t for r, t in transcript.turns if r == CUSTOMER and t != ATTACHMENT)
    topics = detect_topics(customer_text)
    if topics == ["other"]:  # the agent often names what the customer only described
        topics = detect_topics(" ".join(t for _, t in transcript.turns))
    verdicts, note = offline_quality.review(transcript, reading.language, reading.turns)
    return ScoreRecord(
        content_hash=transcript.content_hash,
        status=SCORED,
        sentiment=round(max(-1.0, min(1.0, reading.sentiment)), 3),
        satisfaction=_satisfaction(reading),
        resolved=reading.resolution >= 0.5,
        topics=tuple(topics),
        language=reading.language,
        summary=_summary(transcript, reading),
        qa_greeting=verdicts["greeting"],
        qa_comprehension=verdicts["comprehension"],
        qa_empathy=verdicts["empathy"],
        qa_solution=verdicts["solution"],
        qa_closing=verdicts["closing"],
        qa_tone=verdicts["tone"],
        coaching_note=note,
    )


# Contents are scored in chunks on every core; below this many, worker start-up costs more
# than it saves.
CHUNK = 2000
PARALLEL_FROM = 2 * CHUNK


def score_chunk(transcripts: Sequence[Transcript]) -> list[ScoreRecord]:
    return [score_transcript(t) for t in transcripts]


class OfflineScorer:
    name = f"offline:{VERSION}"
    version = VERSION

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def score_all(
        self,
        transcripts: Sequence[Transcript],
        save: Callable[[list[ScoreRecord]], None],
        log: Callable[[str], None],
    ) -> ScoringStats:
        chunks = [transcripts[i : i + CHUNK] for i in range(0, len(transcripts), CHUNK)]
        done = 0
        started = last_report = time.monotonic()

        def saved(records: list[ScoreRecord]) -> None:
            nonlocal done, last_report
            save(records)
            done += len(records)
            if time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
                last_report = time.monotonic()
                rate = done / (last_report - started)
                log(
                    f"scored {done}/{len(transcripts)} ({rate:.0f}/s, "
                    f"ETA {(len(transcripts) - done) / rate:.0f}s)"
                )

        if self.workers < 2 or len(transcripts) < PARALLEL_FROM:
            for chunk in chunks:
                saved(score_chunk(chunk))
        else:
            # This process scores too (between saving results), with one worker process per
            # other core. spawn, not fork: this process holds DuckDB and Dagster threads a
            # fork would copy mid-flight.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(self.workers - 1, mp_context=context) as pool:
                mine = chunks[:: self.workers]
                theirs = [c for i, c in enumerate(chunks) if i % self.workers]
                pending = {pool.submit(score_chunk, chunk) for chunk in theirs}
                for chunk in mine:
                    saved(score_chunk(chunk))
                    for future in [f for f in pending if f.done()]:
                        pending.discard(future)
                        saved(future.result())
                for future in as_completed(pending):
                    saved(future.result())
        return ScoringStats(requests=0, extra={"workers": float(self.workers)})
