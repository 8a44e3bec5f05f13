"""The offline scorer on small invented chats, the agreement metrics on hand-computed vectors,
and the scorer's agreement with human labels on STC-3 (skipped without the shared data)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import pytest

from benchmarks.agreement_metrics import (
    average_ranks,
    cohen_kappa,
    f1,
    majority_label,
    spearman,
    uar,
)
from benchmarks.offline_agreement import STC3_FILE, evaluate_stc3, external_root, load_stc3
from powerpulse_pipeline.samples.dialogues import generate_threads
from powerpulse_pipeline.scoring.base import ScoreRecord, make_transcript
from powerpulse_pipeline.scoring.offline import (
    VERSION,
    OfflineScorer,
    detect_language,
    resolution_score,
    score_transcript,
)
from powerpulse_pipeline.scoring.topics import DEFAULT_TOPICS, detect_topics

C, A = "customer", "agent"


def score(*turns: tuple[str, str | None]) -> ScoreRecord:
    return score_transcript(make_transcript(turns))


# --- the scorer on invented conversations -------------------------------------------------------

THANKFUL = (
    (C, "Hi, my router drops the connection every few minutes since yesterday."),
    (A, "I've reset your line from our side. Please restart the router."),
    (C, "Works now, thank you so much! 👍"),
)
ANGRY = (
    (C, "My heating bill is wrong again."),
    (A, "Sorry for the inconvenience, we will forward this to the billing team."),
    (C, "It's STILL not working and nobody calls back. Terrible service, this is unacceptable!"),
)


def test_thankful_resolved_chat_scores_high() -> None:
    record = score(*THANKFUL)
    assert record.satisfaction is not None and record.satisfaction >= 4
    assert record.resolved is True
    assert record.sentiment is not None and record.sentiment > 0.3


def test_angry_still_not_working_chat_scores_low() -> None:
    record = score(*ANGRY)
    assert record.satisfaction is not None and record.satisfaction <= 2
    assert record.resolved is False
    assert record.sentiment is not None and record.sentiment < -0.3


def test_unanswered_chat_is_not_resolved() -> None:
    record = score((C, "Hello, the meter display is blank"), (C, "Hello? Anyone there?"))
    assert record.resolved is False
    assert record.satisfaction is not None and record.satisfaction <= 2
    assert record.summary is not None and "no agent reply" in record.summary
    # even a polite customer is not resolved by nobody
    assert score((C, "Thanks, that's all!")).resolved is False


def test_customer_last_turn_outweighs_the_first() -> None:
    recovers = score(
        (C, "This is terrible, my internet has been down all day!"),
        (A, "A fault at the exchange was repaired; please restart your router."),
        (C, "Great, it works now. Thanks!"),
    )
    relapses = score(
        (C, "Great, thanks for the new router!"),
        (A, "You're welcome. Anything else?"),
        (C, "It's terrible, my internet has been down all day again!"),
    )
    assert recovers.sentiment is not None and relapses.sentiment is not None
    assert recovers.sentiment > 0 > relapses.sentiment
    assert (recovers.satisfaction or 0) > (relapses.satisfaction or 0)
    assert recovers.resolved and not relapses.resolved


def test_negation_flips_the_sentiment() -> None:
    opener = (C, "I wanted to switch to the night tariff.")
    reply = (A, "Done, you are on the night tariff from tomorrow.")
    happy = score(opener, reply, (C, "I am happy with that."))
    unhappy = score(opener, reply, (C, "I am not happy with that."))
    assert happy.sentiment is not None and unhappy.sentiment is not None
    assert happy.sentiment > 0 > unhappy.sentiment
    assert (happy.satisfaction or 0) > (unhappy.satisfaction or 0)
    # "no" across a comma is an answer, not a negation of what follows
    assert score(opener, reply, (C, "No, it works fine now, thanks.")).resolved is True


def test_a_negated_confirmation_is_not_resolved() -> None:
    assert score(
        (C, "App crashes."), (A, "Please update it."), (C, "It is not fixed.")
    ).resolved is (False)


def test_satisfaction_uses_the_whole_scale() -> None:
    chats = [
        ANGRY,
        ((C, "The outage is still not fixed."), (A, "Engineers are on site."), (C, "Still off.")),
        ((C, "Can I change my plan?"), (A, "Which plan are you on now?")),
        ((C, "How do I pay by card?"), (A, "Use the app: Billing > Pay."), (C, "ok")),
        THANKFUL,
    ]
    levels = [score(*chat).satisfaction for chat in chats]
    assert levels == sorted(levels)  # in the order a person would rank them
    assert levels[0] == 1 and levels[-1] == 5 and 3 in levels


def test_scores_are_deterministic_and_score_all_agrees() -> None:
    transcripts = [make_transcript(THANKFUL), make_transcript(ANGRY)]
    first = [score_transcript(t) for t in transcripts]
    saved: list[ScoreRecord] = []
    stats = OfflineScorer().score_all(transcripts, saved.extend, lambda _: None)
    assert saved == first == [score_transcript(t) for t in transcripts]
    assert stats.requests == 0
    assert OfflineScorer.name == f"offline:{VERSION}" and VERSION == "3"


def test_resolution_score_is_a_probability_that_resolved_thresholds() -> None:
    for chat in (THANKFUL, ANGRY, ((C, "hi"),), ((A, "Your order has shipped."),), ()):
        transcript = make_transcript(chat)
        value = resolution_score(transcript)
        assert 0.0 <= value <= 1.0
        assert score_transcript(transcript).resolved is (value >= 0.5)
    assert resolution_score(make_transcript(THANKFUL)) > resolution_score(make_transcript(ANGRY))


def test_other_languages_are_detected_and_read() -> None:
    spanish = score(
        (C, "Hola, la factura de este mes está mal, me cobraron dos veces"),
        (A, "Disculpe las molestias, ya anulamos el cargo duplicado."),
        (C, "Perfecto, muchas gracias 😊"),
    )
    german = score(
        (C, "Hallo, mein Internet geht seit gestern nicht"),
        (A, "Bitte starten Sie den Router neu."),
        (C, "Das funktioniert immer noch nicht. Sehr schlecht."),
    )
    assert spanish.language == "es" and german.language == "de"
    assert spanish.resolved and (spanish.satisfaction or 0) >= 4
    assert not german.resolved and (german.satisfaction or 5) <= 2
    assert detect_language("Bonjour, ma facture est fausse, merci") == "fr"
    assert detect_language("Olá, a minha conta não funciona") == "pt"
    assert detect_language("") == "en"


def test_topics_always_come_from_the_closed_list() -> None:
    chats = [THANKFUL, ANGRY, ((C, "asdf qwerty"),), ((C, "[attachment]"),), ()]
    chats.append(((C, "Ich ziehe um, bitte Vertrag und Zählerstand ändern"),))
    for chat in chats:
        topics = score(*chat).topics
        assert topics and set(topics) <= set(DEFAULT_TOPICS)
    assert detect_topics("I was billed twice on my invoice") == ["billing"]
    assert detect_topics("a billion downloads") == ["other"]  # not "bill", not "down"


def test_sample_dialogues_score_fast_and_spread() -> None:
    threads = generate_threads(threads=400, first_day=datetime(2025, 1, 1, tzinfo=UTC), days=7)
    transcripts = [
        make_transcript([(line.role, line.text) for line in thread.lines if not line.bot])
        for thread in threads
    ]
    # CPU time, not wall time: the scorer's own cost, whatever else runs on the machine (the
    # suite runs on parallel workers, beside browsers and daemons)
    started = time.thread_time()
    records = [score_transcript(t) for t in transcripts]
    rate = len(records) / (time.thread_time() - started)
    assert rate > 1000, f"{rate:.0f} conversations per CPU second"
    assert {r.satisfaction for r in records} >= {1, 2, 4, 5}
    assert any(r.resolved for r in records) and not all(r.resolved for r in records)


# --- the agreement metrics, on vectors small enough to compute by hand --------------------------


def test_average_ranks_share_ties() -> None:
    assert average_ranks([10, 20, 20, 30]) == [1.0, 2.5, 2.5, 4.0]
    assert average_ranks([3, 1, 3, 3]) == [3.0, 1.0, 3.0, 3.0]  # ranks 2, 3, 4 -> 3


def test_spearman_with_ties() -> None:
    # x ranks [1, 2.5, 2.5, 4], y ranks [1, 3, 2, 4], both with mean 2.5.
    # deviations x [-1.5, 0, 0, 1.5], y [-1.5, .5, -.5, 1.5]
    # cov = 2.25 + 0 + 0 + 2.25 = 4.5; var x = 4.5; var y = 2.25 + .25 + .25 + 2.25 = 5
    # rho = 4.5 / sqrt(4.5 * 5) = sqrt(0.9) = 0.948683
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(math.sqrt(0.9))
    assert spearman([1, 2, 3], [1, 4, 9]) == pytest.approx(1.0)  # monotonic, not linear
    assert spearman([1, 2, 3], [9, 4, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([3, 3, 3], [1, 2, 3]))  # a constant has no correlation


def test_cohen_kappa() -> None:
    # observed 3/4; gold {1: 2, 2: 2}, predicted {1: 1, 2: 3}
    # expected (2*1 + 2*3) / 16 = 0.5; kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5
    assert cohen_kappa([1, 1, 2, 2], [1, 2, 2, 2]) == pytest.approx(0.5)
    # constant prediction: observed 2/4, expected 2*4/16 = 0.5, kappa 0
    assert cohen_kappa([3, 3, 2, 4], [3, 3, 3, 3]) == pytest.approx(0.0)
    assert cohen_kappa([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)


def test_uar_counts_absent_classes_as_zero() -> None:
    # recalls: class 1 -> 1/2, class 2 -> 1/1, class 3 -> 2/3, classes 4 and 5 absent -> 0
    # UAR over 5 = (0.5 + 1 + 2/3) / 5 = 0.43333; over the 3 present classes = 0.72222
    gold, predicted = [1, 1, 2, 3, 3, 3], [1, 2, 2, 3, 3, 1]
    assert uar(gold, predicted) == pytest.approx((0.5 + 1 + 2 / 3) / 5)
    assert uar(gold, predicted, labels=(1, 2, 3)) == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    assert uar([1, 2, 3, 4, 5], [3] * 5) == pytest.approx(0.2)  # the constant-3 floor


def test_f1_and_majority_label() -> None:
    # tp 2 (positions 0, 4), fp 1 (position 2), fn 1 (position 1): F1 = 4 / (4 + 1 + 1) = 2/3
    gold = [True, True, False, False, True]
    predicted = [True, False, True, False, True]
    assert f1(gold, predicted) == pytest.approx(2 / 3)
    assert f1(gold, [False] * 5) == 0.0
    assert majority_label([1, 1, 2, 2, 3]) == 1  # a tie goes to the lower rating
    assert majority_label([3, 4, 4]) == 4


# --- agreement with human labels ----------------------------------------------------------------


def test_offline_scorer_agrees_with_stc3_annotators() -> None:
    path = external_root() / STC3_FILE
    if not path.exists():
        pytest.skip(f"shared evaluation data not found at {path}")
    figures = evaluate_stc3(load_stc3(path))
    # Team anchors on this sample: VADER 0.35 / 0.29, one human vs the other 18: 0.56 / 0.44.
    assert figures["sat_rho"] >= 0.45, figures
    assert figures["res_rho"] >= 0.40, figures
