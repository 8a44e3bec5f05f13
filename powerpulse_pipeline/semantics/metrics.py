"""Every metric, once: its SQL aggregate over `conversations`, its column type and the words
people use for it. Adding a metric is one entry in METRICS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..scoring import quality

Unit = Literal["count", "pct", "minutes", "score", "usd"]

_SCORED = "score_status = 'scored'"


@dataclass(frozen=True)
class Metric:
    name: str  # the column it is reported as, everywhere
    sql: str  # aggregate over rows of `conversations`
    type: str
    description: str
    label: str
    unit: Unit
    # Phrases a question may use; the longest phrase found wins.
    words: tuple[str, ...] = ()
    better: Literal["higher", "lower"] | None = None
    in_daily: bool = True  # a column of daily_metrics, metrics_between and the period views
    business_twin: str | None = None  # the same figure counted in business hours
    required: bool = False  # NOT NULL in the tables

    def select(self) -> str:
        return f"{self.sql} AS {self.name}"


def _pct(condition: str) -> str:
    return (
        f"100.0 * count(*) FILTER (WHERE {_SCORED} AND {condition})"
        f" / nullif(count(*) FILTER (WHERE {_SCORED}), 0)"
    )


METRICS: tuple[Metric, ...] = (
    Metric(
        "conversations",
        "count(*)::BIGINT",
        "BIGINT",
        "conversations of the day",
        "Conversations",
        "count",
        ("conversations", "conversation", "chats", "chat", "contacts", "volume", "tickets"),
        required=True,
    ),
    Metric(
        "scored_conversations",
        f"count(*) FILTER (WHERE {_SCORED})::BIGINT",
        "BIGINT",
        "with a score",
        "Scored conversations",
        "count",
        ("scored conversations", "scored chats"),
        required=True,
    ),
    Metric(
        "failed_conversations",
        "count(*) FILTER (WHERE score_status = 'failed')::BIGINT",
        "BIGINT",
        "scoring failed",
        "Conversations whose scoring failed",
        "count",
        ("failed conversations", "failed scores", "scoring failures"),
        required=True,
    ),
    Metric(
        "customer_messages",
        "coalesce(sum(customer_messages), 0)::BIGINT",
        "BIGINT",
        "messages from customers",
        "Customer messages",
        "count",
        ("customer messages", "messages from customers"),
        required=True,
    ),
    Metric(
        "agent_messages",
        "coalesce(sum(agent_messages), 0)::BIGINT",
        "BIGINT",
        "human business replies",
        "Agent replies",
        "count",
        ("agent messages", "agent replies", "replies"),
        required=True,
    ),
    Metric(
        "autoresponses_filtered",
        "coalesce(sum(autoresponses), 0)::BIGINT",
        "BIGINT",
        "autoresponses left out",
        "Autoresponses filtered",
        "count",
        ("autoresponses", "auto responses", "automatic replies", "bot messages"),
        required=True,
    ),
    Metric(
        "unanswered_conversations",
        "count(*) FILTER (WHERE first_response_seconds IS NULL)::BIGINT",
        "BIGINT",
        "no human reply after the first customer message",
        "Unanswered",
        "count",
        (
            "unanswered conversations",
            "unanswered chats",
            "unanswered",
            "conversations without a reply",
            "chats without a reply",
        ),
        better="lower",
        required=True,
    ),
    Metric(
        "csat_pct",
        _pct("satisfaction >= 4"),
        "DOUBLE",
        "100 x scored with satisfaction >= 4 / scored",
        "CSAT",
        "pct",
        (
            "csat",
            "customer satisfaction",
            "satisfaction rate",
            "satisfaction score",
            "satisfaction percentage",
            "share of satisfied customers",
            "happiness",
        ),
        better="higher",
    ),
    Metric(
        "fcr_pct",
        _pct("resolved"),
        "DOUBLE",
        "100 x scored and resolved / scored",
        "FCR (model)",
        "pct",
        (
            "fcr",
            "first contact resolution",
            "first-contact resolution",
            "resolution rate",
            "first call resolution",
        ),
        better="higher",
    ),
    Metric(
        "avg_satisfaction",
        f"avg(satisfaction) FILTER (WHERE {_SCORED})",
        "DOUBLE",
        "over scored conversations",
        "Average satisfaction (1-5)",
        "score",
        ("average satisfaction", "mean satisfaction", "avg satisfaction", "satisfaction"),
        better="higher",
    ),
    Metric(
        "avg_sentiment",
        f"avg(sentiment) FILTER (WHERE {_SCORED})",
        "DOUBLE",
        "over scored conversations",
        "Average sentiment (-1..1)",
        "score",
        ("average sentiment", "mean sentiment", "sentiment", "mood"),
        better="higher",
    ),
    Metric(
        "avg_first_response_minutes",
        "avg(first_response_seconds) / 60.0",
        "DOUBLE",
        "over answered conversations",
        "Average first response",
        "minutes",
        (
            "average first response",
            "average first response time",
            "mean first response",
            "avg first response",
            "average time to first response",
            "average first reply",
        ),
        better="lower",
        business_twin="avg_first_response_business_minutes",
    ),
    Metric(
        "median_first_response_minutes",
        "median(first_response_seconds) / 60.0",
        "DOUBLE",
        "over answered conversations",
        "Median first response",
        "minutes",
        (
            "median first response",
            "median first response time",
            "first response time",
            "first response",
            "response time",
            "response times",
            "time to first response",
            "first reply time",
            "first reply",
            "reply time",
            "wait time",
            "waiting time",
            "median response time",
        ),
        better="lower",
        business_twin="median_first_response_business_minutes",
    ),
    Metric(
        "avg_response_minutes",
        "sum(response_seconds_total) / nullif(sum(response_waits), 0) / 60.0",
        "DOUBLE",
        "over all closed waits of the day",
        "Average response (every wait)",
        "minutes",
        ("average response time", "average response", "mean response time", "avg response"),
        better="lower",
        business_twin="avg_response_business_minutes",
    ),
    Metric(
        "avg_first_response_business_minutes",
        "avg(first_response_business_seconds) / 60.0",
        "DOUBLE",
        "business hours",
        "Average first response, business hours",
        "minutes",
        better="lower",
    ),
    Metric(
        "median_first_response_business_minutes",
        "median(first_response_business_seconds) / 60.0",
        "DOUBLE",
        "business hours",
        "Median first response, business hours",
        "minutes",
        better="lower",
    ),
    Metric(
        "avg_response_business_minutes",
        "sum(response_business_seconds_total)"
        " / nullif(sum(response_waits) FILTER (WHERE response_business_seconds_total IS NOT NULL),"
        " 0) / 60.0",
        "DOUBLE",
        "business hours, over closed waits",
        "Average response (every wait), business hours",
        "minutes",
        better="lower",
    ),
    Metric(
        "observed_fcr_pct",
        "100.0 * count(*) FILTER (WHERE NOT repeat_contact AND first_response_seconds IS NOT NULL)"
        " / nullif(count(repeat_contact), 0)",
        "DOUBLE",
        "100 x answered with repeat_contact = false / conversations with repeat_contact known",
        "FCR (observed)",
        "pct",
        (
            "observed fcr",
            "observed first contact resolution",
            "observed resolution",
            "repeat contact rate",
        ),
        better="higher",
    ),
    Metric(
        "repeat_window_open",
        "count(*) FILTER (WHERE repeat_contact IS NULL)::BIGINT",
        "BIGINT",
        "conversations whose repeat-contact window is open",
        "Repeat-contact window still open",
        "count",
        ("pending conversations", "open repeat windows", "repeat window open"),
    ),
    # What scoring cost: each distinct content once, however many conversations share it.
    Metric(
        "scoring_cost_usd",
        "coalesce(list_sum(list_transform(list_distinct(list({'h': content_hash, "
        "'c': score_cost_usd}) FILTER (WHERE score_cost_usd IS NOT NULL)), lambda s: s.c)), 0)",
        "DOUBLE",
        "estimated USD of scoring the distinct contents behind the conversations",
        "Scoring cost",
        "usd",
        ("scoring cost", "cost of scoring", "llm cost", "model cost", "cost", "spend"),
        better="lower",
        in_daily=False,
    ),
    # Per topic: how many of a topic's scored conversations were dissatisfied.
    Metric(
        "dissatisfied_conversations",
        f"count(*) FILTER (WHERE {_SCORED} AND satisfaction <= 2)::BIGINT",
        "BIGINT",
        "satisfaction 1-2",
        "Dissatisfied conversations",
        "count",
        ("dissatisfied conversations", "unhappy conversations", "dissatisfied customers"),
        better="lower",
        in_daily=False,
        required=True,
    ),
    Metric(
        "reviewed_conversations",
        "count(*) FILTER (WHERE qa_score IS NOT NULL)::BIGINT",
        "BIGINT",
        "with a quality review (scored, answered, and scored since the review existed)",
        "Reviewed conversations",
        "count",
        ("reviewed conversations", "reviewed chats", "quality reviews"),
        required=True,
    ),
    Metric(
        "qa_score",
        "avg(qa_score)",
        "DOUBLE",
        "mean quality score (0-100) of the reviewed conversations",
        "Quality score",
        "pct",
        (
            "quality score",
            "qa score",
            "quality",
            "iqs",
            "internal quality score",
            "review score",
            "agent quality",
        ),
        better="higher",
    ),
    *(
        Metric(
            f"qa_{c.name}_pct",
            f"100.0 * count(*) FILTER (WHERE qa_{c.name}) / nullif(count(qa_{c.name}), 0)",
            "DOUBLE",
            f"100 x reviews passing {c.label.lower()} / reviews where it applies",
            f"{c.label} passed",
            "pct",
            (f"{c.label.lower()} rate", f"{c.label.lower()} pass rate", f"{c.label.lower()} score"),
            better="higher",
            in_daily=False,
        )
        for c in quality.CATEGORIES
    ),
    *(
        metric
        for c in quality.CATEGORIES
        for metric in (
            Metric(
                f"qa_{c.name}_passed",
                f"count(*) FILTER (WHERE qa_{c.name})::BIGINT",
                "BIGINT",
                f"reviews passing {c.label.lower()}",
                f"{c.label} passed (reviews)",
                "count",
                in_daily=False,
                required=True,
            ),
            Metric(
                f"qa_{c.name}_applicable",
                f"count(qa_{c.name})::BIGINT",
                "BIGINT",
                f"reviews where {c.label.lower()} applies",
                f"{c.label} applicable (reviews)",
                "count",
                in_daily=False,
                required=True,
            ),
        )
    ),
    Metric(
        "dissatisfied_pct",
        _pct("satisfaction <= 2"),
        "DOUBLE",
        "100 x satisfaction <= 2 / scored conversations",
        "Dissatisfied share",
        "pct",
        ("dissatisfaction rate", "dissatisfied share", "share of unhappy customers"),
        better="lower",
        in_daily=False,
    ),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
DAILY_METRICS = tuple(m for m in METRICS if m.in_daily)

# The headline figures: the dashboard's and the explorer's cards, plotted per day in the UI.
HEADLINE_METRIC_NAMES = (
    "csat_pct",
    "fcr_pct",
    "observed_fcr_pct",
    "median_first_response_minutes",
    "median_first_response_business_minutes",
    "conversations",
    "unanswered_conversations",
)

# What the topic and agent tables and macros report, in their column order.
TOPIC_METRIC_NAMES = (
    "conversations",
    "dissatisfied_conversations",
    "csat_pct",
    "dissatisfied_pct",
    "fcr_pct",
    "avg_sentiment",
    "avg_satisfaction",
)
AGENT_METRIC_NAMES = (
    "conversations",
    "scored_conversations",
    "avg_first_response_minutes",
    "median_first_response_minutes",
    "avg_first_response_business_minutes",
    "avg_response_minutes",
    "csat_pct",
    "fcr_pct",
    "avg_satisfaction",
    "reviewed_conversations",
    "qa_score",
    *(f"qa_{name}_pct" for name in quality.NAMES),
)


def aggregates(names: tuple[str, ...] | list[str] | None = None) -> str:
    """`expr AS name, ...` for these metrics (default: the daily ones, in their column order).
    The expressions name `conversations`' columns unqualified: join only tables whose
    columns do not clash with them."""
    chosen = DAILY_METRICS if names is None else tuple(BY_NAME[n] for n in names)
    return ",\n    ".join(m.select() for m in chosen)


def format_value(name: str, value: object, compact: bool = False) -> str:
    """A metric's value as people read it: 71.1%, 12.5 minutes (3.2 hours past two), 1,204,
    $0.0123. `compact` for cards: minutes as "min", no hours."""
    if value is None or value != value:  # NULL, or NaN from a data frame
        return "-" if compact else "no value (nothing to count it from)"
    unit = BY_NAME[name].unit
    number = float(value)  # type: ignore[arg-type]
    if unit == "pct":
        return f"{number:.1f}%"
    if unit == "minutes":
        if compact:
            return f"{number:.1f} min"
        return f"{number:.1f} minutes" if number < 120 else f"{number / 60:.1f} hours"
    if unit == "count":
        return f"{int(number):,}"
    if unit == "usd":
        return f"${number:,.4f}"
    return f"{number:.2f}"
