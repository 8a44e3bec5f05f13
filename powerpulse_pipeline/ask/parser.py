"""The offline parser: a question in words -> the parts of a semantic query it names.

Deterministic and local: no key, no network. It recognises the layer's own vocabulary
(metric words, breakdowns, filters, date words, the warehouse's agents, topics and
languages) and nothing else: a word it cannot place makes the question `cannot_answer`
rather than a guess, so a miss is never presented as an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..semantics.dimensions import DIMENSIONS
from ..semantics.metrics import BY_NAME, METRICS
from .dates import DateError, Range, find_range
from .vocabulary import LANGUAGE_NAMES, Vocabulary

# Words that carry no meaning of their own in a question about these figures. Negations
# ("not", "except", "without") are not among them: said outside a phrase the parser knows,
# they make the question unanswerable instead of silently dropped.
FILLER = frozenset(
    """
    a an the of for in on at to from during over across within our my we us me i you your
    is are was were be been being has have had do does did what whats which how show tell
    give list find display see get pull up please can could would will about with and or
    all any every each per total overall there it its this that those these them they
    handled handle rate score percentage percent level value values number numbers figure
    figures metric metrics stats statistics so far now currently current period customers
    customer clients people team support issues issue questions question problems problem
    related regarding concerning time times like look looks looking breakdown split broken
    down grouped group who versus vs compared compare than against by got whole entire also
    just only same then again but let lets know want wanted need happened happen much
    """.split()  # noqa: SIM905
)

NOUNS = ("conversations", "conversation", "chats", "chat", "tickets", "ticket", "contacts")
COUNT_WORDS = re.compile(r"\b(how many|number of|count of|count|volume of|total number of|total)\b")
LIST_WORDS = re.compile(r"\b(show|list|find|display|give me|pull up|which|what|see)\b")
FOLLOW_UP = re.compile(
    r"^(and|what about|how about|and what about|same for|same but|now|but|also|only|just|"
    r"then|ok|okay)\b"
)
RANK_UP = ("most", "highest", "top", "biggest", "largest", "busiest", "more", "greatest")
RANK_DOWN = ("least", "fewest", "lowest", "smallest", "quietest")
_RANK = re.compile(
    r"\b(most|highest|top|biggest|largest|busiest|greatest|least|fewest|lowest|smallest|"
    r"quietest|best|worst|fastest|quickest|slowest|longest|shortest)\b"
)


@dataclass
class Parsed:
    metrics: list[str] = field(default_factory=list)
    dimension: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    range: Range | None = None
    compare: bool = False
    listing: bool = False
    rank: str | None = None  # highest | lowest
    follow_up: bool = False
    unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # things said that cannot be answered


def normalize(question: str) -> str:
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[\u201c\u201d\"?!,;:()\[\]{}]", " ", text)
    text = re.sub(r"\.(?!\.|\d)", " ", text)  # keep 2025-03-01..2025-03-07
    text = re.sub(r"\b(\w+)'s\b", r"\1", text)  # Maria's -> maria
    return " ".join(text.split())


def _take(pattern: str | re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    match = re.search(pattern, text)
    if not match:
        return None, text
    return match, (text[: match.start()] + " " + text[match.end() :]).strip()


def _words(phrases: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))


_METRIC_PHRASES = sorted(
    ((w, m.name) for m in METRICS for w in m.words if w not in NOUNS),
    key=lambda pair: len(pair[0]),
    reverse=True,
)
_DIM_WORDS = {w: d.name for d in DIMENSIONS for w in d.words}
_DIM_ADVERBS = {w: d.name for d in DIMENSIONS for w in d.adverbs}


def parse(question: str, vocabulary: Vocabulary, as_of: date, topics: tuple[str, ...]) -> Parsed:
    parsed = Parsed()
    text = normalize(question)
    parsed.follow_up = bool(FOLLOW_UP.match(text))
    text = FOLLOW_UP.sub(" ", text, count=1).strip() if parsed.follow_up else text

    match, text = _take(
        r"\b(?:vs\.?|versus|compared (?:to|with)|against|than)\s+(?:the\s+)?"
        r"(?:previous|prior|preceding|last)\s+(?:period|one)\b",
        text,
    )
    parsed.compare = match is not None
    match, text = _take(
        r"\b(?:on\s+)?weekends?\s+(?:vs\.?|versus|compared (?:to|with)|against|and|or)\s+"
        r"(?:on\s+)?weekdays?\b|\b(?:on\s+)?weekdays?\s+(?:vs\.?|versus|compared (?:to|with)|"
        r"against|and|or)\s+(?:on\s+)?weekends?\b",
        text,
    )
    if match:
        parsed.dimension = "day_type"

    try:
        parsed.range, text = find_range(text, as_of)
    except DateError as exc:
        parsed.problems.append(str(exc))
        return parsed
    if parsed.range:
        again, _ = find_range(text, as_of)
        if again:
            parsed.problems.append(f"two date ranges ({parsed.range.words!r}, {again.words!r})")

    business, text = _take(
        r"\b(?:in\s+|during\s+)?(?:business|working|office|opening)\s+"
        r"(?:hours?|time)\b",
        text,
    )

    text = _breakdown(parsed, text)
    text = _filters(parsed, text, vocabulary, topics)
    counted, text = _metrics(parsed, text)
    rank, text = _take(_RANK, text)
    text = _listing_and_rank(parsed, text, rank, counted)

    if business:
        twins = [BY_NAME[m].business_twin for m in parsed.metrics]
        if not parsed.metrics or any(t is None for t in twins):
            parsed.problems.append("only response times have a business-hours figure")
        else:
            parsed.metrics = [t for t in twins if t]
    parsed.unknown = [w for w in text.split() if w not in FILLER and w not in NOUNS]
    return parsed


def _breakdown(parsed: Parsed, text: str) -> str:
    words = _words(list(_DIM_WORDS))
    match, text = _take(
        rf"\b(?:by|per|for each|for every|each|every|across|split by|broken down by|"
        rf"grouped by|group by|over)\s+(?:the\s+)?({words})\b",
        text,
    )
    if match:
        parsed.dimension = _DIM_WORDS[match.group(1)]
        return text
    match, text = _take(rf"\b({_words(list(_DIM_ADVERBS))})\b", text)
    if match:
        parsed.dimension = _DIM_ADVERBS[match.group(1)]
    return text


def _filters(parsed: Parsed, text: str, vocabulary: Vocabulary, topics: tuple[str, ...]) -> str:
    filters = parsed.filters
    # satisfaction ranges: "satisfaction below 3", "csat of 2 or less", "rated 5"
    match, text = _take(
        r"\b(?:with\s+)?(?:a\s+)?(?:satisfaction|csat|rating|rated|score|scored)\s*"
        r"(?:of\s+|score\s+)?(below|under|less than|lower than|<=|<|at most|above|over|"
        r"more than|greater than|higher than|>=|>|at least|of|=|equal to|exactly)?\s*([1-5])"
        r"(?:\s+or\s+(less|lower|below|under|more|higher|above|better|worse))?\b",
        text,
    )
    if match:
        op, value, tail = match.group(1) or "=", int(match.group(2)), match.group(3)
        low, high = value, value
        if op in ("below", "under", "less than", "lower than", "<"):
            low, high = 1, value - 1
        elif op in ("<=", "at most") or tail in ("less", "lower", "below", "under", "worse"):
            low, high = 1, value
        elif op in ("above", "over", "more than", "greater than", "higher than", ">"):
            low, high = value + 1, 5
        elif op in (">=", "at least") or tail in ("more", "higher", "above", "better"):
            low, high = value, 5
        if low > high:
            parsed.problems.append(f"no satisfaction is {match.group(0).strip()!r}")
        filters["satisfaction"] = (low, high)
    else:
        # "share of satisfied customers" is CSAT itself, not a filter
        match, text = _take(
            r"(?<!share of )\b(?:dissatisfied|unhappy|angry|frustrated|upset)\b", text
        )
        if match:
            filters["satisfaction"] = (1, 2)
        else:
            match, text = _take(r"(?<!share of )\b(?:satisfied|happy|pleased)\b", text)
            if match:
                filters["satisfaction"] = (4, 5)

    # repeat contact and observed FCR: "FCR ... came back" is the observed figure
    negated, text = _take(
        r"\b(?:did not|didn't|did n't|never|not)\s+(?:come|came)\s+back\b|\bno\s+repeat\s+"
        r"contacts?\b|\bwithout\s+(?:a\s+)?repeat\s+contacts?\b",
        text,
    )
    repeat, text = (
        (None, text)
        if negated
        else _take(
            r"\b(?:came|come|coming)\s+back\b|\brepeat(?:\s+contacts?|\s+customers?)?\b|"
            r"\bcontacted us again\b|\bwrote again\b|\breturned\b",
            text,
        )
    )
    observed, text = _take(r"\bobserved\b", text)
    fcr_said = re.search(
        r"\b(fcr|first[ -]contact resolution|resolution rate|"
        r"first call resolution)\b",
        text,
    )
    if fcr_said and (repeat or observed or negated):
        text = text[: fcr_said.start()] + " observed fcr " + text[fcr_said.end() :]
    elif observed:
        parsed.unknown.append("observed")
    elif negated or repeat:
        filters["repeat_contact"] = not negated

    # answered or not
    match, text = _take(
        r"\b(?:unanswered|not answered|never answered|without (?:a |any )?(?:reply|response|"
        r"answer)|with no (?:reply|response|answer)|no (?:reply|response)|nobody answered|"
        r"no one answered|left unanswered)\b",
        text,
    )
    if match:
        filters["answered"] = False
    else:
        match, text = _take(r"\b(?:answered|replied to|with a reply|that got a reply)\b", text)
        if match:
            filters["answered"] = True

    # resolved (the model's judgement), unless "resolution rate" and the like are meant
    if not re.search(
        r"\b(?:share|percent|percentage|rate|%)\s+(?:of\s+)?(?:conversations\s+)?"
        r"resolved\b|\bresolved\s+(?:rate|share)\b",
        text,
    ):
        match, text = _take(
            r"\b(?:unresolved|not resolved|wasn't resolved|weren't resolved|were not resolved|"
            r"was not resolved|never resolved)\b",
            text,
        )
        if match:
            filters["resolved"] = False
        else:
            match, text = _take(r"\b(?:resolved|solved|settled)\b", text)
            if match:
                filters["resolved"] = True

    # weekend or weekday
    match, text = _take(
        r"\b(?:on\s+|at\s+|during\s+)?(?:the\s+)?weekends?\b|"
        r"\bon\s+saturdays?\s+and\s+sundays?\b",
        text,
    )
    if match:
        filters["day_type"] = "weekend"
    else:
        match, text = _take(r"\b(?:on\s+|during\s+)?(?:weekdays|working days|workdays)\b", text)
        if match:
            filters["day_type"] = "weekday"

    # languages
    names = _words(list(LANGUAGE_NAMES))
    found = []
    while True:
        match, text = _take(rf"\b(?:in\s+|written in\s+)?({names})\b", text)
        if not match:
            break
        found.append(LANGUAGE_NAMES[match.group(1)])
    if found:
        filters["language"] = tuple(dict.fromkeys(found))

    # topics: exact names first, then close spellings of words nothing else claims
    known = tuple(dict.fromkeys((*vocabulary.topics, *topics)))
    phrases = {t.replace("_", " "): t for t in known} | {t: t for t in known}
    plural = {p + "s": t for p, t in phrases.items()}
    phrases |= plural
    chosen: list[str] = []
    while phrases:
        match, text = _take(
            rf"\b(?:about\s+|on\s+|for\s+|with\s+)?(?:the\s+)?(?:topics?\s+)?({_words(list(phrases))})"
            r"(?:\s+topics?)?\b",
            text,
        )
        if not match:
            break
        chosen.append(phrases[match.group(1)])

    # agents: full names, then single names, then close spellings
    agent_names: list[str] = []
    for agent in sorted(vocabulary.agents, key=len, reverse=True):
        match, text = _take(rf"\b{re.escape(agent.lower())}\b", text)
        if match:
            agent_names.append(agent)
    # two words that spell a full name closely ("aisha kahn", "jmes carter")
    words = text.split()
    kept: list[str] = []
    index = 0
    while index < len(words):
        pair = " ".join(words[index : index + 2])
        agents = vocabulary.match_agent(pair) if index + 1 < len(words) else ()
        if (
            len(agents) == 1
            and agents[0].lower().count(" ") == 1
            and not (set(pair.split()) & (FILLER | set(NOUNS)))
        ):
            agent_names.extend(agents)
            index += 2
            continue
        kept.append(words[index])
        index += 1
    text = " ".join(kept)
    leftover = []
    for word in text.split():
        if word in FILLER or word in NOUNS or len(word) < 3 or _is_vocabulary(word):
            leftover.append(word)
            continue
        agents = vocabulary.match_agent(word)
        if agents and (word in vocabulary.agent_words() or len(word) >= 4):
            if len(agents) > 1:
                parsed.problems.append(f"{word!r} could be {' or '.join(agents)}")
            agent_names.extend(agents)
            continue
        topic = vocabulary.match_topic(word, known) if len(word) >= 5 else None
        if topic:
            chosen.append(topic)
            continue
        leftover.append(word)
    text = " ".join(leftover)
    if chosen:
        filters["topic"] = tuple(dict.fromkeys(chosen))
    if agent_names:
        filters["agent"] = tuple(dict.fromkeys(agent_names))
        # "for agent Maria": the word names the filter, not a breakdown
        text = re.sub(r"\bagent\b", " ", text, count=1).strip()
    return text


_VOCABULARY_WORDS = (
    {word for phrase, _ in _METRIC_PHRASES for word in phrase.split()}
    | {w for phrase in _DIM_WORDS for w in phrase.split()}
    | set(_DIM_ADVERBS)
    | set(RANK_UP)
    | set(RANK_DOWN)
    | {
        "best",
        "worst",
        "fastest",
        "quickest",
        "slowest",
        "longest",
        "shortest",
        "who",
        "average",
        "median",
        "mean",
        "much",
        "many",
    }
)


def _is_vocabulary(word: str) -> bool:
    return word in _VOCABULARY_WORDS


def _metrics(parsed: Parsed, text: str) -> tuple[bool, str]:
    """The metric phrases, in the order said; whether a count was asked ("how many")."""
    found: list[tuple[int, str]] = []
    counted, text = _take(COUNT_WORDS, text)
    for phrase, name in _METRIC_PHRASES:
        while True:
            match = re.search(rf"\b{re.escape(phrase)}\b", text)
            if not match:
                break
            found.append((match.start(), name))
            text = text[: match.start()] + " " + text[match.end() :]
    parsed.metrics = list(dict.fromkeys(name for _, name in sorted(found)))
    return counted is not None, text


def _listing_and_rank(parsed: Parsed, text: str, rank: re.Match[str] | None, counted: bool) -> str:
    nouns = [w for w in text.split() if w in NOUNS]
    listing_verb = LIST_WORDS.search(text)
    # "who ..." asks for an agent; "customers who came back" does not
    who, text = _take(r"^who\b", text)
    if rank and not parsed.metrics and rank.group(1) in ("fastest", "quickest", "slowest"):
        parsed.metrics = ["median_first_response_minutes"]
    if not rank and not who and parsed.dimension is None:
        # "which agent ..." without a ranking word is a breakdown by agent
        match, text = _take(rf"\b(?:which|what)\s+({_words(list(_DIM_WORDS))})\b", text)
        if match:
            parsed.dimension = _DIM_WORDS[match.group(1)]
    if (
        not parsed.metrics
        and not counted
        and not rank
        and not who
        and nouns
        and not parsed.dimension
        and not parsed.compare
    ):
        parsed.listing = bool(listing_verb) or bool(parsed.filters) or bool(parsed.range)
    if not parsed.metrics and not parsed.listing:
        if parsed.filters.get("answered") is False:
            # "how many unanswered chats", "unanswered by agent": the unanswered count
            del parsed.filters["answered"]
            parsed.metrics = ["unanswered_conversations"]
        elif nouns or counted or rank:
            parsed.metrics = ["conversations"]
    if rank or who:
        if who and parsed.dimension is None:
            parsed.dimension = "agent"
            _, text = _take(r"\bagents?\b", text)
        if parsed.dimension is None:
            match, text = _take(rf"\b({_words(list(_DIM_WORDS))})\b", text)
            if match:
                parsed.dimension = _DIM_WORDS[match.group(1)]
        if rank and parsed.metrics:
            parsed.rank = _direction(rank.group(1), parsed.metrics[0])
        if rank and parsed.dimension is None:
            parsed.problems.append(f"{rank.group(1)!r} of what (agent, topic, day, ...)?")
    return text


def _direction(word: str, metric: str) -> str:
    if word in RANK_UP:
        return "highest"
    if word in RANK_DOWN:
        return "lowest"
    better = BY_NAME[metric].better
    minutes = BY_NAME[metric].unit == "minutes"
    if word in ("fastest", "quickest", "shortest"):
        return "lowest" if minutes else "highest"
    if word in ("slowest", "longest"):
        return "highest" if minutes else "lowest"
    good = word == "best"
    if better == "lower":
        return "lowest" if good else "highest"
    return "highest" if good else "lowest"
