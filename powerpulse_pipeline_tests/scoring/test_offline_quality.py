"""The offline quality review on small invented chats, each verdict checked by hand against the
rules in scoring/offline_quality.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from powerpulse_pipeline.samples.dialogues import generate_threads
from powerpulse_pipeline.scoring import lexicon as lx
from powerpulse_pipeline.scoring import quality
from powerpulse_pipeline.scoring.base import ScoreRecord, make_transcript
from powerpulse_pipeline.scoring.offline import (
    OfflineScorer,
    _read,
    _tokens,
    score_transcript,
)
from powerpulse_pipeline.scoring.offline_quality import NOTE_ORDER, review

C, A = "customer", "agent"
Verdicts = dict[str, bool | None]


def qa(*turns: tuple[str, str | None], language: str = "en") -> Verdicts:
    return review(make_transcript(turns), language)[0]


def note(*turns: tuple[str, str | None]) -> str | None:
    return review(make_transcript(turns), "en")[1]


def improvement(name: str) -> str:
    return quality.BY_NAME[name].improvement + "."


# A chat that passes everything that applies: greeting, a question back, an apology, a step, an
# offer of more help, nothing rude.
GOOD = (
    (C, "My meter is broken, can you help?"),
    (A, "Hi Anna, sorry to hear that! Which meter number is it?"),
    (C, "It's 4471"),
    (A, "Thanks. I've reset meter 4471 from here. Is there anything else I can help with?"),
)


def test_a_good_chat_passes_everything_and_gets_no_note() -> None:
    verdicts, coaching = review(make_transcript(GOOD), "en")
    assert verdicts == dict.fromkeys(quality.NAMES, True)
    assert list(verdicts) == list(quality.NAMES)
    assert coaching is None


# --- not reviewed, not applicable -----------------------------------------------------------


@pytest.mark.parametrize(
    "turns",
    [
        ((C, "There's no power on our street, any news?"), (C, "Hello? Anyone there?")),
        ((C, "[attachment]"),),
        (),
    ],
)
def test_a_chat_without_an_agent_reply_is_not_reviewed(turns: tuple[tuple[str, str], ...]) -> None:
    assert review(make_transcript(turns), "en") == (dict.fromkeys(quality.NAMES), None)


def test_a_customer_who_only_says_thanks_has_no_empathy_or_solution_to_review() -> None:
    verdicts = qa(
        (C, "Just wanted to say thanks for the quick fix yesterday!"),
        (A, "You're welcome, have a nice day!"),
    )
    assert verdicts["empathy"] is None and verdicts["solution"] is None
    # Nothing asked, nothing reported: the reply cannot have misunderstood anything.
    assert verdicts["comprehension"] is True
    assert verdicts["closing"] is True and verdicts["tone"] is True
    assert verdicts["greeting"] is False  # "You're welcome" answers a thanks, it greets no one


def test_a_question_after_the_last_reply_decides_nothing() -> None:
    verdicts = qa(
        (C, "Thanks for the update!"),
        (A, "You're welcome!"),
        (C, "Oh, and why is my bill so high? It is wrong."),
    )
    assert verdicts["empathy"] is None and verdicts["solution"] is None


# --- greeting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_reply",
    [
        "Hi, sorry about that.",
        "hello! sorry about that.",
        "Good morning Mr. Smith, sorry about that.",
        "Anna, good evening! Sorry about that.",
        "👋 Hey there, sorry about that.",
        "Thanks for reaching out! Sorry about that.",
        "Dear customer, sorry about that.",
    ],
)
def test_a_first_reply_opening_with_a_greeting_passes(first_reply: str) -> None:
    assert qa((C, "My bill is wrong"), (A, first_reply))["greeting"] is True


@pytest.mark.parametrize(
    "first_reply",
    [
        "I will ship it, hi-res photos attached.",
        "Hi-res photos are attached.",
        "Tell him hi from us!",
        "Sorry about that. Hello from the billing team!",  # a greeting, but not how it opens
        "Thanks! I've corrected the bill.",  # thanks for what was sent, not a welcome
        "Hiya-style replies are not greetings either.",
    ],
)
def test_a_hi_inside_or_after_the_first_words_is_no_greeting(first_reply: str) -> None:
    assert qa((C, "My bill is wrong"), (A, first_reply))["greeting"] is False


def test_only_the_first_reply_and_only_the_agent_can_greet() -> None:
    assert qa((C, "Hello! My bill is wrong"), (A, "The bill is corrected."))["greeting"] is False
    later = qa(
        (C, "My bill is wrong"),
        (A, "The bill is corrected."),
        (C, "ok?"),
        (A, "Hi again! Yes, all done."),
    )
    assert later["greeting"] is False


def test_spanish_and_german_greetings() -> None:
    spanish = qa((C, "Hola, estamos sin luz"), (A, "¡Buenos días! Lo siento."), language="es")
    german = qa((C, "Hallo, kein Strom"), (A, "Guten Tag, das tut mir leid."), language="de")
    assert spanish["greeting"] is True and german["greeting"] is True
    # "Buenas noticias" (good news) is no greeting.
    assert qa((C, "Hola"), (A, "Buenas noticias: ya hay luz."), language="es")["greeting"] is False


# --- comprehension --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "Which month's invoice is it about?",  # a question about the issue
        "Please send us your account number.",  # asks for details, no question mark
        "I've corrected it.",  # a solution cue: "corrected"
        "Your bill for March shows an estimated reading.",  # "bill" is the customer's word
    ],
)
def test_comprehension_passes_on_a_question_details_a_solution_or_shared_words(reply: str) -> None:
    assert qa((C, "My bill is wrong"), (A, reply))["comprehension"] is True


@pytest.mark.parametrize(
    "reply",
    [
        "ok",
        "We will check and get back to you.",
        "How can I help you today?",  # a question, but not about the issue
        "Sorry for the trouble! Is there anything else I can help you with?",
    ],
)
def test_a_generic_or_canned_reply_fails_comprehension(reply: str) -> None:
    assert qa((C, "My bill is wrong"), (A, reply))["comprehension"] is False


def test_shared_words_count_plurals_but_not_the_greetings_name() -> None:
    paid = qa(
        (C, "I paid by card yesterday but the app still shows the payment as due"),
        (A, "Card payments take up to 48h to show."),
    )
    assert paid["comprehension"] is True
    # "Olivia" in the opening says nothing about the bill.
    named = qa((C, "Olivia here, my bill is wrong"), (A, "Hi Olivia, we will check."))
    assert named["comprehension"] is False


# --- empathy --------------------------------------------------------------------------------


def test_empathy_applies_to_a_problem_and_passes_on_an_apology_or_understanding() -> None:
    problem = (C, "My meter is broken.")
    assert qa(problem, (A, "Sorry about that, a technician is booked."))["empathy"] is True
    assert qa(problem, (A, "I understand. A technician is booked."))["empathy"] is True
    assert qa(problem, (A, "A technician is booked."))["empathy"] is False
    # Negated understanding is no understanding.
    assert qa(problem, (A, "I don't understand what you mean."))["empathy"] is False


def test_empathy_applies_to_a_feeling_even_beside_a_thanks() -> None:
    # "worried" (-1.2) is outweighed by "thanks" (+1.8) in the turn's sentiment; the feeling
    # cue still makes empathy apply.
    turns = ((C, "I'm worried about my bill, thanks"), (A, "Your bill has been corrected."))
    assert qa(*turns)["empathy"] is False
    assert _read(make_transcript(turns)).turns[0].sentiment > 0


def test_spanish_and_german_empathy() -> None:
    spanish = (C, "Hola, la factura está mal, me cobraron dos veces")
    assert qa(spanish, (A, "Lo siento, ya anulamos el cargo."), language="es")["empathy"] is True
    assert qa(spanish, (A, "Ya anulamos el cargo."), language="es")["empathy"] is False
    german = (C, "Hallo, mein Internet funktioniert nicht")
    assert qa(german, (A, "Das tut mir leid!"), language="de")["empathy"] is True
    assert qa(german, (A, "Starten Sie den Router neu."), language="de")["empathy"] is False


def test_no_problem_is_not_a_problem() -> None:
    verdicts = qa((C, "No problem at all, how do I pay online?"), (A, "Go to the app."))
    assert verdicts["empathy"] is None and verdicts["solution"] is True


# --- solution -------------------------------------------------------------------------------


def test_a_step_or_an_action_passes_solution() -> None:
    asked = (C, "How do I submit my meter reading?")
    assert qa(asked, (A, "Go to the app and tap Meter."))["solution"] is True
    assert qa(asked, (A, "I've updated it for you, done."))["solution"] is True


@pytest.mark.parametrize(
    "reply",
    [
        "We will forward this to the billing team.",  # deferral
        "Unfortunately we cannot do that.",  # refusal
        "We will update you soon.",  # "update you" is news later, not the "update" step
        "You can DM us.",  # "you can dm" refers elsewhere, not the "you can" step
        "Thanks for your message.",  # neither
    ],
)
def test_only_deferring_or_refusing_fails_solution(reply: str) -> None:
    assert qa((C, "Can you fix my bill please?"), (A, reply))["solution"] is False


def test_a_reported_problem_asks_for_a_fix() -> None:
    verdicts = qa((C, "No light in my area since yesterday"), (A, "We will check."))
    assert verdicts["solution"] is False and verdicts["empathy"] is False


# --- closing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "last_reply",
    [
        "Is there anything else I can help you with?",
        "Let me know if it happens again.",
        "Thank you for your patience!",
        "Have a nice day!",
        "Take care, bye!",
    ],
)
def test_a_last_reply_offering_help_thanking_or_saying_goodbye_passes(last_reply: str) -> None:
    turns = ((C, "My bill is wrong"), (A, "I've corrected it."), (C, "ok"), (A, last_reply))
    assert qa(*turns)["closing"] is True


def test_a_thanks_from_the_customer_is_not_the_agents_closing() -> None:
    verdicts = qa((C, "My bill is wrong"), (A, "I've corrected it."), (C, "Thanks!"))
    assert verdicts["closing"] is False
    assert note((C, "My bill is wrong"), (A, "I've corrected it."), (C, "Thanks!")) == (
        improvement("empathy")  # the first failure in NOTE_ORDER: no apology for the problem
    )


def test_only_the_last_reply_closes() -> None:
    verdicts = qa(
        (C, "My bill is wrong"),
        (A, "Thank you, I'll look."),
        (C, "ok"),
        (A, "It's corrected now."),
    )
    assert verdicts["closing"] is False


def test_a_welcome_in_the_only_reply_is_its_greeting_not_its_closing() -> None:
    opening_only = qa((C, "My bill is wrong"), (A, "Thanks for reaching out, we will check."))
    assert opening_only["greeting"] is True and opening_only["closing"] is False
    both = qa((C, "My bill is wrong"), (A, "Hi! I've corrected it. Thanks for your patience."))
    assert both["greeting"] is True and both["closing"] is True


def test_spanish_and_german_closings() -> None:
    problem = (C, "Hola, la factura está mal")
    assert qa(problem, (A, "¡Que tenga un buen día!"), language="es")["closing"] is True
    assert qa(problem, (A, "Ya está corregida."), language="es")["closing"] is False
    german = (C, "Hallo, die Rechnung ist falsch")
    assert qa(german, (A, "Vielen Dank und einen schönen Tag!"), language="de")["closing"] is True
    assert qa(german, (A, "Die Rechnung ist korrigiert."), language="de")["closing"] is False


# --- tone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "We're sorry for the inconvenience.",
        "We're really sorry for this terrible experience, it is unacceptable!",
        "Unfortunately the form is broken and there is a delay.",  # bad news, politely
        "Whatever you need, just ask.",
    ],
)
def test_an_apology_or_bad_news_does_not_fail_tone(reply: str) -> None:
    assert qa((C, "My meter reading form fails"), (A, reply))["tone"] is True


def test_the_customers_own_words_said_back_do_not_fail_tone() -> None:
    turns = ((C, "The app is useless and awful"), (A, "The app is useless and awful? Try v2."))
    assert qa(*turns)["tone"] is True
    assert qa((C, "My bill is wrong"), (A, "That is useless and awful."))["tone"] is False


@pytest.mark.parametrize(
    "reply",
    [
        "Calm down, that's not my problem.",
        "Whatever.",
        "ok whatever",
        "Don't be stupid, restart it.",  # negated, still rude
        "That is a terrible and pathetic attitude.",  # no rude word, clearly negative valence
    ],
)
def test_a_rude_reply_fails_tone(reply: str) -> None:
    verdicts, coaching = review(make_transcript(((C, "My bill is wrong"), (A, reply))), "en")
    assert verdicts["tone"] is False
    assert coaching == improvement("tone")  # first in NOTE_ORDER


# --- the note, determinism, the scorer ------------------------------------------------------


def test_the_note_is_the_first_failure_in_order_of_importance() -> None:
    assert NOTE_ORDER[0] == "tone" and sorted(NOTE_ORDER) == sorted(quality.NAMES)
    # Only greeting and closing fail: closing comes first.
    only_phrases = note((C, "My meter is broken"), (A, "Sorry! I've reset meter 4471."))
    assert only_phrases == improvement("closing")
    # Everything but tone fails on "ok" to a problem: solution comes first.
    assert note((C, "My meter is broken"), (A, "ok")) == improvement("solution")
    # A greeting alone missing: the note says so.
    assert note(*((C, GOOD[0][1]), (A, GOOD[1][1].replace("Hi Anna, s", "S")), *GOOD[2:])) == (
        improvement("greeting")
    )


def test_the_review_is_deterministic_and_reads_the_scorers_turns_the_same() -> None:
    transcript = make_transcript(GOOD)
    first = review(transcript, "en")
    assert review(transcript, "en") == first
    assert review(transcript, "en", _read(transcript).turns) == first


def test_score_all_records_carry_the_review() -> None:
    spanish = (
        (C, "Hola, estamos sin luz en el barrio desde anoche"),
        (A, "¡Hola! Lo siento mucho, los técnicos ya están trabajando. ¡Que tenga un buen día!"),
    )
    chats = [GOOD, ((C, "My bill is wrong"), (A, "ok")), ((C, "Hello? Anyone there?"),), spanish]
    transcripts = [make_transcript(chat) for chat in chats]
    saved: list[ScoreRecord] = []
    OfflineScorer(workers=1).score_all(transcripts, saved.extend, lambda _: None)
    assert saved == [score_transcript(t) for t in transcripts]
    for record, transcript in zip(saved, transcripts, strict=True):
        verdicts, coaching = review(transcript, record.language or "en")
        assert {name: getattr(record, f"qa_{name}") for name in quality.NAMES} == verdicts
        assert record.coaching_note == coaching
    good, ok, unanswered, hola = saved
    assert good.qa_greeting is True and good.coaching_note is None
    assert ok.qa_comprehension is False and ok.coaching_note == improvement("solution")
    assert unanswered.qa_tone is None and unanswered.coaching_note is None
    # The language the scorer detected picks the lists: a Spanish greeting, apology and goodbye.
    assert hola.language == "es"
    assert hola.qa_greeting is True and hola.qa_empathy is True and hola.qa_closing is True


def test_the_categories_that_always_apply_are_decided_on_every_answered_sample_chat() -> None:
    threads = generate_threads(threads=300, first_day=datetime(2025, 1, 1, tzinfo=UTC), days=7)
    answered = 0
    for thread in threads:
        transcript = make_transcript([(li.role, li.text) for li in thread.lines if not li.bot])
        verdicts, coaching = review(transcript, "en")
        if not any(role == A for role, _ in transcript.turns):
            assert verdicts == dict.fromkeys(quality.NAMES) and coaching is None
            continue
        answered += 1
        for category in quality.CATEGORIES:
            if category.always:
                assert verdicts[category.name] is not None, category.name
        failed = [name for name in NOTE_ORDER if verdicts[name] is False]
        assert coaching == (improvement(failed[0]) if failed else None)
    assert answered > 200


def test_every_listed_phrase_is_written_as_the_tokenizer_reads_it() -> None:
    lists = [
        lx.EN_AGENT_CLOSING, lx.EN_AGENT_EMPATHY, lx.EN_AGENT_DETAILS, lx.EN_AGENT_STEPS,
        lx.EN_AGENT_REFERRAL, lx.EN_AGENT_RUDE, lx.EN_CUSTOMER_REQUEST, lx.EN_CUSTOMER_PROBLEM,
        lx.EN_CUSTOMER_FEELING,
    ]  # fmt: skip
    for other in (
        lx.OTHER_AGENT_CLOSING, lx.OTHER_AGENT_EMPATHY, lx.OTHER_AGENT_DETAILS,
        lx.OTHER_AGENT_STEPS, lx.OTHER_AGENT_RUDE, lx.OTHER_CUSTOMER_REQUEST,
        lx.OTHER_CUSTOMER_PROBLEM, lx.OTHER_CUSTOMER_FEELING,
    ):  # fmt: skip
        lists.extend(other.values())
    for phrases in lists:
        for phrase in phrases:
            assert _tokens(phrase)[0] == phrase.split(), phrase
