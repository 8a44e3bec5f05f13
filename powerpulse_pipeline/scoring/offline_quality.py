"""The offline quality review: the rubric of quality.py (DESIGN.md section 10) read by rules.

It reads the turns the offline scorer has read (one side's consecutive messages make one turn, so
"a reply" is an agent turn); "the first reply" and "the last reply" are the first and last agent
turns with words. Phrases come from lexicon.py, English plus the detected language, and a phrase
preceded by a negator ("I don't understand") does not count, as in the scorer. What the customer
says after the agent's last reply was never answered, so it decides nothing.

- greeting: the first reply opens with a greeting or a welcome ("Hi", "Good morning", "Thanks
  for reaching out", "Hola", "Guten Tag"), after nothing but punctuation, emoji or a name and a
  comma ("Anna, hello"). "Tell him hi" and "hi-res photos" are no greeting.
- comprehension: some reply asks a real question (a sentence ending in "?" with a word about
  the issue, not "How can I help?" or "Anything else?"), asks for details ("please send your
  account number"), gives a solution cue, or shares a content word with the customer's messages
  (a word of three letters or more outside lexicon.EN_FUNCTION_WORDS and its kin: "meter",
  "invoice", an account number); the greeting and the name it greets do not count. "ok" or
  "We will check" alone fail. A customer who asks and reports nothing (a thanks, a "hi") leaves
  nothing to misunderstand: any reply passes.
- empathy, when the customer reports a problem or a feeling (a problem, feeling or unresolved
  cue, or a turn whose sentiment is below NEGATIVE_SENTIMENT): some reply apologises or shows
  understanding ("sorry", "I understand", "lo siento", "tut mir leid").
- solution, when the customer asks for something (a "?", a request phrase such as "please" or
  "how do I", or a reported problem: reporting a fault to support asks for a fix): some reply
  has a solution cue (steps or an action taken). Deferring, referring or refusing alone fails.
- closing: the last reply offers more help, thanks the customer or says goodbye. A thanks from
  the customer is not the agent's; when the only reply opens with "Thanks for reaching out",
  that welcome is its greeting, not its closing.
- tone: no reply is rude (lexicon.EN_AGENT_RUDE) or clearly negative: a reply's valence below
  TONE_FLOOR, counting neither sentences that apologise, sympathise or break bad news ("We're
  sorry for the inconvenience", "Unfortunately the form is broken") nor the customer's own words
  said back ("your meter is faulty" after "my meter is faulty").

The coaching note is the improvement (quality.BY_NAME) of the first failed category in NOTE_ORDER,
and None when nothing applicable failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from ..ingest.records import AGENT, CUSTOMER
from . import lexicon as lx
from . import offline, quality  # offline as a module: it imports this one in turn
from .base import Transcript

# VADER's own cut for "negative" is -0.05; a little lower, so that a polite "sorry to bother
# you" (-0.08) is not read as a reported problem.
NEGATIVE_SENTIMENT = -0.1
# One strongly negative word ("terrible", "stupid") of the agent's own, or two milder ones, with
# nothing positive beside them; a lone "faulty" or "delay" (a fact, not a tone) stays above it.
TONE_FLOOR = -0.45
# Rudeness is the most urgent to hear about and rare; then what the customer came for (an answer,
# and being understood); then how it felt (empathy); last the set phrases around the reply.
NOTE_ORDER = ("tone", "solution", "comprehension", "empathy", "closing", "greeting")

_NAME = r"[A-ZÀ-ÖØ-Þ][\w'.-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'.-]*)?"
_MASK = "_"  # stands for a word tone does not count: no valence, not a negator, not a boundary
# A sentence with these says sorry, sympathises or breaks bad news: its valence is not its tone.
_SOFTENING = frozenset({"apology", "empathy", "failure"})
_FUNCTION_WORDS = (
    lx.EN_FUNCTION_WORDS
    | lx.OTHER_FUNCTION_WORDS
    | frozenset().union(*lx.LANGUAGE_HINTS.values())
    | lx.EN_NEGATORS
    | frozenset().union(*lx.OTHER_NEGATORS.values())
)

_Kinds = frozenset[str]
_Match = tuple[int, int, _Kinds]  # where a phrase starts and ends, and what it is


@dataclass(frozen=True)
class _Tables:
    language: offline.Language  # the scorer's: valence and negators
    agent: offline.Table[_Kinds]
    customer: offline.Table[_Kinds]
    opening: re.Pattern[str]
    # Tokens that can begin a negative valence, negators included ("not good"): a reply with
    # none of them cannot be negative, and most replies are spared reading their valence again.
    darkening: frozenset[str]


def _entries(*lists: tuple[str, Iterable[str]]) -> dict[tuple[str, ...], _Kinds]:
    entries: dict[tuple[str, ...], _Kinds] = {}
    for kind, phrases in lists:
        for phrase in phrases:
            key = tuple(phrase.split())
            entries[key] = entries.get(key, frozenset()) | {kind}
    # The longest phrase wins where phrases overlap, so a phrase also carries the kinds of the
    # shorter phrases it begins with: "thanks for your patience" is empathy and a thanks.
    # A referral is there to override its shorter solution cue, so it inherits nothing.
    for key, kinds in list(entries.items()):
        if "referral" not in kinds:
            for n in range(1, len(key)):
                kinds |= entries.get(key[:n], frozenset())
            entries[key] = kinds
    return entries


def _phrase_pattern(phrase: str) -> str:
    body = r"\s+".join(map(re.escape, phrase.split()))
    # "hi" must be a whole word: not "hiya" (listed apart), "hi-res" or "hi's".
    return body + r"(?![\w'-])" if phrase[-1].isalnum() else body


@cache
def _tables(code: str) -> _Tables:
    def both(english: frozenset[str], other: dict[str, frozenset[str]]) -> frozenset[str]:
        return english | other.get(code, frozenset())

    agent = _entries(
        ("apology", both(lx.EN_AGENT_APOLOGY, lx.OTHER_AGENT_APOLOGY)),
        ("failure", both(lx.EN_AGENT_FAILURE, lx.OTHER_AGENT_FAILURE)),
        ("solution", both(lx.EN_AGENT_SOLUTION, lx.OTHER_AGENT_SOLUTION)),
        ("solution", both(lx.EN_AGENT_STEPS, lx.OTHER_AGENT_STEPS)),
        ("deferral", both(lx.EN_AGENT_DEFERRAL, lx.OTHER_AGENT_DEFERRAL)),
        ("referral", lx.EN_AGENT_REFERRAL),
        ("details", both(lx.EN_AGENT_DETAILS, lx.OTHER_AGENT_DETAILS)),
        ("empathy", both(lx.EN_AGENT_EMPATHY, lx.OTHER_AGENT_EMPATHY)),
        ("closing", both(lx.EN_AGENT_CLOSING, lx.OTHER_AGENT_CLOSING)),
        ("rude", both(lx.EN_AGENT_RUDE, lx.OTHER_AGENT_RUDE)),
        # The agent naming the customer's problem: not held against its tone.
        ("problem", both(lx.EN_CUSTOMER_PROBLEM, lx.OTHER_CUSTOMER_PROBLEM)),
    )
    customer = _entries(
        ("request", both(lx.EN_CUSTOMER_REQUEST, lx.OTHER_CUSTOMER_REQUEST)),
        ("problem", both(lx.EN_CUSTOMER_PROBLEM, lx.OTHER_CUSTOMER_PROBLEM)),
        ("feeling", both(lx.EN_CUSTOMER_FEELING, lx.OTHER_CUSTOMER_FEELING)),
    )
    # Longest first: the alternation takes the first that fits, "good morning" before "good".
    greetings = sorted(both(lx.EN_AGENT_GREETING, lx.OTHER_AGENT_GREETING), key=len, reverse=True)
    greeting = "(?i:" + "|".join(map(_phrase_pattern, greetings)) + ")"
    # Greetings in a row ("Hi John, thanks for reaching out!") make one opening, with the name
    # they greet; an @mention may come first.
    opening = re.compile(
        rf"(?:@\w+|[\W_])*(?:{_NAME}\s*[,:!]\s*)?{greeting}"
        rf"(?:[\s,.!:;]*(?:{_NAME}[\s,.!:;]+)?{greeting})*(?:[\s,]+{_NAME})?"
    )
    # The scorer's tables for the languages it has lists for, English for the rest.
    language = offline._language(code if code in lx.OTHER_WORDS else "en")
    darkening = {key[0] for key, value in language.valence.entries.items() if value < 0}
    return _Tables(
        language=language,
        agent=offline.Table.of(agent),
        customer=offline.Table.of(customer),
        opening=opening,
        darkening=frozenset(darkening | language.negators),
    )


def _matches(
    tokens: Sequence[str], table: offline.Table[_Kinds], negators: frozenset[str]
) -> list[_Match]:
    """The phrases found, longest first where they overlap, as the scorer's cues are read; a
    negated phrase does not count, except a rude one ("don't be stupid" is still rude)."""
    found: list[_Match] = []
    candidates = table.longest
    resume = 0
    for i in [k for k, t in enumerate(tokens) if t in candidates]:
        if i < resume:
            continue
        kinds, span = table.match(tokens, i)
        resume = i + span
        if kinds is not None:
            if offline._negated(tokens, i, negators):
                kinds = kinds & {"rude"}
            if kinds:
                found.append((i, i + span, kinds))
    return found


def _content(tokens: Iterable[str]) -> set[str]:
    """The words that can name an issue: three letters or more (or a number), not a function
    word."""
    return {
        t for t in set(tokens) - _FUNCTION_WORDS if len(t) >= 3 and (t.isalpha() or t.isdigit())
    }


def _stem(word: str) -> str:
    # Plurals only: "payments" answers "payment"; anything cleverer would be harder to check.
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def _sentences(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) of each sentence, its closing punctuation included."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, token in enumerate(tokens):
        if token in ".!?":
            spans.append((start, i + 1))
            start = i + 1
    if start < len(tokens):
        spans.append((start, len(tokens)))
    return spans


def _asks_a_question(tokens: Sequence[str], found: Sequence[_Match], skip: int) -> bool:
    """A sentence ending in "?" that names something of the issue and is not a set phrase."""
    closings = [i for i, _, kinds in found if "closing" in kinds]
    for start, end in _sentences(tokens):
        if end <= skip or tokens[end - 1] != "?":
            continue
        if any(start <= i < end for i in closings):
            continue  # "Is there anything else I can help you with?"
        if _content(tokens[max(start, skip) : end]):
            return True
    return False


def _rude_or_negative(
    turn: offline.Turn, found: Sequence[_Match], echoed: set[str], tables: _Tables
) -> bool:
    if any("rude" in kinds for _, _, kinds in found):
        return True
    if tables.darkening.isdisjoint(turn.tokens):
        return False
    tokens, raw = list(turn.tokens), list(turn.raw)
    # Naming the problem ("a known bug", "if it still doesn't work") is not a tone, nor are the
    # customer's own words said back.
    for start, end, kinds in found:
        if "problem" in kinds:
            tokens[start:end] = raw[start:end] = [_MASK] * len(tokens[start:end])
    softened = [i for i, _, kinds in found if kinds & _SOFTENING]
    for start, end in _sentences(tokens):
        soft = any(start <= i < end for i in softened)
        for k in range(start, end):
            if soft or tokens[k] in echoed:
                tokens[k] = raw[k] = _MASK
    return offline._squash(offline._valence(tokens, raw, tables.language)) < TONE_FLOOR


def review(
    transcript: Transcript, language: str, turns: Sequence[offline.Turn] | None = None
) -> tuple[dict[str, bool | None], str | None]:
    """(verdict per category name from quality.NAMES, coaching note or None). `turns`: the
    scorer's reading of the same transcript, so that nothing is tokenised twice."""
    tables = _tables(language)
    blocks = offline._blocks(transcript)
    if turns is None:
        turns = [offline._read_block(role, texts, tables.language) for role, texts in blocks]
    replies = [k for k, turn in enumerate(turns) if turn.role == AGENT]
    if not replies:
        return quality.not_reviewed(), None
    negators = tables.language.negators

    asked = reported_problem = reported_feeling = False
    heard: set[str] = set()  # every token the customer wrote before the last reply
    for turn in turns[: replies[-1]]:
        if turn.role != CUSTOMER:
            continue
        kinds = frozenset().union(
            *(k for _, _, k in _matches(turn.tokens, tables.customer, negators))
        )
        asked = asked or "request" in kinds or "?" in turn.tokens
        reported_problem = reported_problem or "problem" in kinds or "unresolved" in turn.cues
        reported_feeling = (
            reported_feeling or "feeling" in kinds or turn.sentiment < NEGATIVE_SENTIMENT
        )
        heard.update(turn.tokens)
    heard_words = _content(heard)
    customer_words = {_stem(t) for t in heard_words}

    with_words = [k for k in replies if turns[k].words] or replies
    first, last = with_words[0], with_words[-1]
    text = " ".join(t for t in blocks[first][1] if t != offline.ATTACHMENT)
    opening = tables.opening.match(text.translate(offline._NORMALISE))
    # The opening's tokens are the reply's first tokens: the match ends on a word boundary.
    skip = len(offline._tokens(opening.group())[0]) if opening else 0

    kinds_said: set[str] = set()
    understood = closed = rude = False
    for k in replies:
        turn = turns[k]
        start = skip if k == first else 0  # the greeting is neither a closing nor the issue
        # The stop at the end lets a reply that ends on "whatever" read as "whatever.".
        read = _matches((*turn.tokens, "."), tables.agent, negators)
        found = [match for match in read if match[0] >= start]
        for _, _, kinds in found:
            kinds_said |= kinds
        understood = understood or (
            _asks_a_question(turn.tokens, found, start)
            or not customer_words.isdisjoint(map(_stem, _content(turn.tokens[start:])))
        )
        if k == last:
            closed = any("closing" in kinds for _, _, kinds in found)
        rude = rude or _rude_or_negative(turn, found, heard_words, tables)

    verdicts: dict[str, bool | None] = {
        "greeting": opening is not None,
        # A thanks or a "hi" with nothing asked or reported leaves nothing to misunderstand.
        "comprehension": understood
        or bool(kinds_said & {"details", "solution"})
        or not (asked or reported_problem or reported_feeling),
        "empathy": bool(kinds_said & {"apology", "empathy"})
        if reported_problem or reported_feeling
        else None,
        "solution": "solution" in kinds_said if asked or reported_problem else None,
        "closing": closed,
        "tone": not rude,
    }
    note = next(
        (quality.BY_NAME[name].improvement + "." for name in NOTE_ORDER if verdicts[name] is False),
        None,
    )
    return {name: verdicts[name] for name in quality.NAMES}, note
