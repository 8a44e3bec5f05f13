"""Realistic support dialogues for a utility / telecom Page, generated from templates."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

AUTORESPONSE = (
    "Thanks for your message! Our team replies within business hours. "
    "For outages dial *977# from your phone."
)

# (language, topic) -> opener, agent answer, happy close, unhappy close
SCRIPTS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("en", "billing"): (
        "Hi, my bill this month is almost double the usual 😟 can someone check?",
        "Sorry about that! I see an estimated reading on your account; I've corrected it and "
        "a new invoice is on its way.",
        "Perfect, thank you so much! 👍",
        "This is the third time I've been overcharged. Still not fixed, unacceptable.",
    ),
    ("en", "outage"): (
        "There's no power on our whole street since 7am, any news?",
        "We have a crew on site for a damaged cable; power should be back by 2pm.",
        "Lights are back, thanks for the quick update!",
        "It's 6pm and still nothing. Nobody tells us anything 😡",
    ),
    ("en", "connection"): (
        "My internet keeps dropping every few minutes, router lights blinking orange",
        "I've reset your line from our side. Please restart the router and tell me if it "
        "works now.",
        "Works now, great service 🙂",
        "Still dropping. I've restarted it five times, this is useless.",
    ),
    ("en", "payment"): (
        "I paid by card yesterday but the app still shows the payment as due",
        "Card payments take up to 48h to show. I can confirm we received it, nothing to do.",
        "Got it, thanks for confirming.",
        "I was charged twice and want a refund now.",
    ),
    ("en", "meter_reading"): (
        "How do I submit my meter reading? The website form gives an error",
        "You can send it here: just reply with the number on your meter and a photo.",
        "Sent it, all good, thanks!",
        "The form is still broken and the chat is slow. Very disappointed.",
    ),
    ("es", "billing"): (
        "Hola, la factura de este mes está mal, me cobraron dos veces",
        "Disculpe las molestias, ya anulamos el cargo duplicado.",
        "Perfecto, muchas gracias 😊",
        "Todavía no veo el reembolso, es un problema serio.",
    ),
    ("es", "outage"): (
        "Hola, estamos sin luz en el barrio desde anoche",
        "Hay una avería en la zona, los técnicos ya están trabajando.",
        "Ya volvió la luz, gracias!",
        "Nunca avisan nada, seguimos sin luz 😠",
    ),
    ("de", "contract"): (
        "Hallo, ich ziehe um und möchte meinen Vertrag an die neue Adresse mitnehmen",
        "Gerne, ich habe den Umzug für den 1. des Monats eingetragen.",
        "Super, danke für die schnelle Hilfe!",
        "Das ist jetzt das dritte Mal, dass ich schreibe. Schlecht.",
    ),
    ("en", "account"): (
        "I can't log in to my account, password reset email never arrives",
        "I've updated the email on your account; the reset link should arrive in a minute.",
        "Got the email and I'm in, thank you!",
        "Nothing arrived again. I'll cancel my contract.",
    ),
}

AGENTS = ("Maria Lopez", "James Carter", "Aisha Khan", "Tom Becker")
CUSTOMERS = (
    "Olivia Brown",
    "Lucas García",
    "Emma Schmidt",
    "Noah Wilson",
    "Sofía Martínez",
    "Liam Johnson",
    "Mia Müller",
    "Ethan Davis",
    "Zoë Ødegaard",
    "Chen Wei",
)


@dataclass(frozen=True)
class Line:
    sent_at: datetime
    role: str  # customer | agent
    text: str
    agent: str | None = None
    bot: bool = False


@dataclass(frozen=True)
class Thread:
    chat_id: str
    customer: str
    lines: tuple[Line, ...]


def conversation_lines(
    rng: random.Random, start: datetime, *, unanswered: bool, happy: bool, autoresponse: bool
) -> list[Line]:
    language, topic = rng.choice(list(SCRIPTS))
    opener, answer, good, bad = SCRIPTS[(language, topic)]
    agent = rng.choice(AGENTS)
    at = start
    lines = [Line(at, "customer", opener)]
    if autoresponse:
        at += timedelta(seconds=rng.randint(1, 5))
        lines.append(Line(at, "agent", AUTORESPONSE, bot=True))
    if unanswered:
        at += timedelta(minutes=rng.randint(5, 120))
        lines.append(Line(at, "customer", "Hello? Anyone there?"))
        return lines
    at += timedelta(minutes=rng.randint(2, 240), seconds=rng.randint(0, 59))
    lines.append(Line(at, "agent", answer, agent=agent))
    at += timedelta(minutes=rng.randint(1, 90))
    lines.append(Line(at, "customer", good if happy else bad))
    if not happy:
        at += timedelta(minutes=rng.randint(3, 60))
        lines.append(
            Line(at, "agent", "I'm sorry, I've escalated this to our specialist team.", agent)
        )
    return lines


def generate_threads(
    *,
    threads: int,
    first_day: datetime,
    days: int,
    seed: int = 7,
    multi_conversation_share: float = 0.2,
) -> list[Thread]:
    """`threads` threads whose conversations start on random days of the window."""
    rng = random.Random(seed)
    result: list[Thread] = []
    for index in range(threads):
        start = first_day + timedelta(
            days=rng.randrange(days), hours=rng.randint(6, 21), minutes=rng.randint(0, 59)
        )
        lines: list[Line] = []
        conversations = 2 if rng.random() < multi_conversation_share else 1
        for _ in range(conversations):
            lines += conversation_lines(
                rng,
                start,
                unanswered=rng.random() < 0.1,
                happy=rng.random() < 0.7,
                autoresponse=rng.random() < 0.5,
            )
            start = lines[-1].sent_at + timedelta(days=rng.randint(2, 5))
        result.append(Thread(f"t_{seed}_{index:06d}", rng.choice(CUSTOMERS), tuple(lines)))
    return result


_ASKS = (
    "Could you send me your account number so I can look into it?",
    "Can you tell me the address this is about?",
    "Which phone number is the contract under?",
    "When did this start exactly?",
)
_DETAILS = (
    "It's account {n}.",
    "Account number is {n}, thanks",
    "{n} is my customer number",
    "the number is {n} and it started on the {d}th",
    "Address is {n} Main Street, flat {d}",
)
_FOLLOW_UPS = (
    "Is there anything else I can help you with?",
    "Let me know if anything else comes up, {name}.",
    "Have a nice day, {name}!",
)


def generate_history(
    *, threads: int, first_day: datetime, days: int, seed: int = 7, max_conversations: int = 4
) -> list[Thread]:
    """Longer threads with several conversations each, every message with its own details
    (account numbers, dates, names), so no two conversations read the same: content-hash
    caching gets no help that real chats would not give."""
    rng = random.Random(seed)
    result: list[Thread] = []
    for index in range(threads):
        customer = rng.choice(CUSTOMERS)
        at = first_day + timedelta(
            days=rng.randrange(days), hours=rng.randint(6, 21), minutes=rng.randint(0, 59)
        )
        lines: list[Line] = []
        for _ in range(rng.randint(1, max_conversations)):
            language, topic = rng.choice(list(SCRIPTS))
            opener, answer, good, bad = SCRIPTS[(language, topic)]
            agent = rng.choice(AGENTS)
            number = rng.randint(10_000, 99_999_999)

            def say(
                role: str,
                text: str,
                minutes: tuple[int, int],
                bot: bool = False,
                agent: str = agent,
                lines: list[Line] = lines,
            ) -> None:
                nonlocal at
                at += timedelta(minutes=rng.randint(*minutes), seconds=rng.randint(0, 59))
                author = None if role == "customer" or bot else agent
                lines.append(Line(at, role, text, author, bot))

            say("customer", f"{opener} (ref {number})", (0, 0))
            if rng.random() < 0.5:
                say("agent", AUTORESPONSE, (0, 0), bot=True)
            if rng.random() < 0.1:
                say("customer", f"Hello? Anyone there? It's about {number}", (5, 120))
            else:
                say("agent", rng.choice(_ASKS), (2, 240))
                detail = rng.choice(_DETAILS).format(n=number, d=rng.randint(1, 28))
                say("customer", detail, (1, 30))
                if rng.random() < 0.3:
                    say("customer", f"I also wrote to you on the {rng.randint(1, 28)}th", (0, 3))
                say("agent", f"{answer} Reference {rng.randint(100_000, 999_999)}.", (2, 60))
                happy = rng.random() < 0.7
                say("customer", good if happy else bad, (1, 90))
                say("agent", rng.choice(_FOLLOW_UPS).format(name=customer.split()[0]), (1, 20))
                if not happy:
                    say("agent", "I'm sorry, I've escalated this to our specialist team.", (3, 60))
            at += timedelta(days=rng.randint(2, 12))
        result.append(Thread(f"h_{seed}_{index:06d}", customer, tuple(lines)))
    return result
