"""Hand-written, general-purpose lexicons for the offline scorer (no data-fitted weights).

Valences follow the VADER convention: about -3 (very negative) to +3 (very positive), 0 omitted.
English is always used, because support chats in any language borrow English words ("ok",
"super", "thanks"); the detected language's list is added on top. Phrases are matched on whole
tokens before single words, so "not working" is not also counted as "working" negated.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


EN_WORDS: dict[str, float] = {
    # gratitude, praise, satisfaction
    "thank": 1.8, "thanks": 1.8, "thx": 1.5, "ty": 1.2, "thankful": 2.0, "grateful": 2.2,
    "appreciate": 2.0, "appreciated": 2.0, "cheers": 1.2, "great": 2.5, "good": 1.8,
    "nice": 1.8, "excellent": 3.0, "perfect": 2.7, "awesome": 2.8, "amazing": 2.8,
    "fantastic": 2.7, "wonderful": 2.7, "brilliant": 2.7, "superb": 2.8, "outstanding": 2.8,
    "lovely": 2.3, "love": 2.5, "loved": 2.5, "helpful": 2.0, "useful": 1.5, "quick": 1.0,
    "quickly": 0.8, "fast": 0.8, "prompt": 1.0, "efficient": 1.8, "kind": 1.5, "friendly": 2.0,
    "polite": 1.5, "patient": 1.2, "professional": 1.5, "satisfied": 2.0, "pleased": 2.0,
    "happy": 2.3, "glad": 2.0, "enjoy": 2.0, "fine": 0.8, "ok": 0.6, "okay": 0.6, "alright": 0.6,
    "cool": 1.3, "works": 1.2, "worked": 1.2, "working": 0.6, "solved": 2.2, "resolved": 2.2,
    "fixed": 2.0, "sorted": 1.2, "success": 2.0, "successful": 2.0, "successfully": 2.0,
    "recommend": 1.5, "praise": 2.2, "praised": 2.2, "best": 2.3, "better": 1.3, "easy": 1.5,
    "convenient": 1.5, "smooth": 1.2, "reliable": 1.5, "clear": 0.6, "welcome": 1.2,
    "congratulations": 2.5, "wow": 1.5, "haha": 1.5, "lol": 1.3, "yay": 2.3, "hope": 0.5,
    "sure": 0.5, "wish": 0.6, "support": 0.5, "understand": 0.5, "excited": 2.0,
    # complaint, frustration, failure
    "bad": -2.3, "terrible": -3.0, "horrible": -3.0, "awful": -3.0, "worst": -3.0,
    "worse": -2.0, "poor": -1.6, "useless": -2.5, "ridiculous": -2.3, "unacceptable": -2.8,
    "pathetic": -2.6, "disgusting": -2.6, "shame": -2.0, "shameful": -2.5, "nonsense": -2.0,
    "stupid": -2.3, "rubbish": -2.5, "garbage": -2.5, "crap": -2.5, "sucks": -2.5, "suck": -2.0,
    "damn": -1.5, "hell": -1.5, "wtf": -2.5, "scam": -3.0, "fraud": -3.0, "cheat": -2.5,
    "cheated": -2.5, "liar": -2.6, "lie": -1.8, "lied": -2.3, "lies": -2.0, "incompetent": -2.5,
    "irresponsible": -2.3, "rude": -2.3, "unprofessional": -2.3, "careless": -1.6,
    "hate": -2.7, "annoying": -2.0, "annoyed": -2.0, "angry": -2.3, "furious": -3.0,
    "upset": -2.0, "mad": -2.0, "disappointed": -2.2, "disappointing": -2.2,
    "disappointment": -2.2, "unhappy": -2.2, "sad": -1.5, "depressed": -2.0,
    "frustrated": -2.2, "frustrating": -2.2, "frustration": -2.2, "worried": -1.2,
    "confused": -1.0, "unfortunately": -1.0, "problem": -0.8, "problems": -0.8,
    "issue": -0.5, "issues": -0.5, "trouble": -1.0, "difficult": -1.0, "impossible": -1.5,
    "unable": -1.0, "fail": -1.5, "fails": -1.5, "failed": -1.5, "failure": -1.6,
    "wrong": -1.5, "broken": -1.8, "error": -1.0, "errors": -1.0, "bug": -1.2, "bugs": -1.2,
    "crash": -1.5, "crashes": -1.5, "crashed": -1.5, "fault": -1.0, "faulty": -1.6,
    "outage": -1.2, "delay": -1.0, "delayed": -1.0, "slow": -1.2, "overcharged": -2.2,
    "complain": -1.6, "complained": -1.6, "complaint": -1.6, "complaints": -1.6,
    "unstable": -1.2, "lost": -1.0, "missing": -1.0, "stuck": -1.2, "waste": -2.0,
    "wasted": -2.0, "refund": -0.6, "cancel": -0.6, "unreliable": -1.8, "inconvenient": -1.5,
    "inconvenience": -1.2, "sorry": -0.3, "awkward": -1.0, "unfair": -2.0, "expensive": -1.0,
    "dead": -1.5, "ignored": -2.0, "ignore": -1.2, "unanswered": -1.5, "tired": -1.2,
    "nobody": -1.5, "sick": -1.5, "joke": -1.0, "kidding": -1.0, "worthless": -2.5,
    "hopeless": -2.3, "helpless": -2.0, "annoy": -2.0, "disaster": -2.8, "mess": -1.8,
    "cheap": -0.8, "dirty": -1.5, "fake": -2.0, "threat": -1.5, "sue": -2.0, "lawyer": -1.2,
    # emoji and emoticons (tokenised as single symbols)
    "👍": 1.8, "🙏": 1.5, "😊": 2.0, "🙂": 1.2, "😀": 2.0, "😃": 2.0, "😄": 2.0, "😁": 2.0,
    "❤": 2.3, "❤️": 2.3, "💯": 2.0, "👌": 1.5, "👏": 1.8, "🥰": 2.5, "😍": 2.5, "🎉": 2.0,
    ":)": 1.8, ":-)": 1.8, ":d": 2.0, ";)": 1.2, "<3": 2.0,
    "😡": -2.8, "😠": -2.5, "😤": -2.0, "😞": -1.8, "😢": -1.8, "😭": -2.0, "👎": -2.2,
    "🤬": -3.0, "😒": -1.5, "🙄": -1.5, "😩": -1.8, "😫": -1.8, "😟": -1.2, "☹": -1.8,
    "😕": -1.0, ":(": -1.8, ":-(": -1.8, ":/": -1.0,
}  # fmt: skip

EN_PHRASES: dict[str, float] = {
    "thank you": 2.0, "thanks a lot": 2.5, "thank you so much": 2.8, "many thanks": 2.5,
    "works now": 2.2, "working now": 2.0, "works fine": 2.0, "ok now": 1.8, "okay now": 1.8,
    "fine now": 1.8, "all good": 1.8, "all set": 1.5, "got it": 1.2, "that helped": 2.0,
    "that helps": 1.8, "problem solved": 2.5, "well done": 2.2, "good job": 2.2,
    "no problem": 0.8, "no worries": 0.8, "makes sense": 1.0, "much appreciated": 2.3,
    "not working": -2.0, "doesn't work": -2.0, "does not work": -2.0, "didn't work": -1.8,
    "did not work": -1.8, "won't work": -1.8, "isn't working": -2.0, "stopped working": -2.0,
    "didn't help": -2.0, "did not help": -2.0, "doesn't help": -2.0, "no help": -2.0,
    "no one": -1.5, "no response": -2.0, "no reply": -2.0, "no answer": -1.5,
    "waste of time": -2.8, "are you kidding": -2.3, "how long": -1.0, "fed up": -2.5,
    "never again": -2.5, "not acceptable": -2.5, "not good enough": -2.0, "give up": -1.5,
    "second time": -0.8, "third time": -1.5, "many times": -1.0, "several times": -1.0,
    "once again": -0.8, "as usual": -0.8, "i told you": -1.5, "as i said": -1.2,
    "let me clarify": -0.8, "not what i asked": -2.0, "you don't understand": -2.0,
    "no power": -1.2, "no internet": -1.2, "no signal": -1.2, "no service": -1.2,
    "no electricity": -1.2, "no water": -1.2,
}  # fmt: skip

EN_NEGATORS = _words(
    "not no never none nobody nothing neither nor without cannot can't don't doesn't didn't "
    "isn't aren't wasn't weren't won't wouldn't shouldn't couldn't haven't hasn't hadn't "
    "ain't dont doesnt didnt isnt cant wont hardly barely"
)
EN_BOOSTERS: dict[str, float] = {
    "very": 0.3, "really": 0.3, "so": 0.25, "extremely": 0.4, "too": 0.2, "totally": 0.3,
    "absolutely": 0.35, "completely": 0.3, "incredibly": 0.35, "super": 0.3, "such": 0.2,
    "quite": 0.1, "highly": 0.3, "truly": 0.3, "most": 0.2, "utterly": 0.4, "seriously": 0.3,
    "slightly": -0.3, "somewhat": -0.3, "bit": -0.3, "little": -0.2, "kinda": -0.3,
    "fairly": -0.2, "partly": -0.3,
}  # fmt: skip

# The customer's own words that the problem is over, or that it is not.
EN_GRATITUDE = _words("thank thanks thx ty appreciate appreciated grateful thankful cheers 🙏")
EN_CONFIRMED = frozenset(
    {
        "works now", "working now", "works fine", "ok now", "okay now", "fine now", "all good",
        "all set", "got it", "that helped", "that helps", "problem solved", "solved", "resolved",
        "fixed", "sorted", "settled", "successfully", "it works", "it worked", "is working",
        "received it", "arrived", "back on", "back up",
    }
)  # fmt: skip
EN_UNRESOLVED = frozenset(
    {
        "still", "again", "not working", "doesn't work", "does not work", "didn't work",
        "did not work", "isn't working", "stopped working", "didn't help", "did not help",
        "doesn't help", "no help", "no one", "nobody", "no response", "no reply", "no answer",
        "not fixed", "not solved", "not resolved", "not received", "haven't received",
        "hasn't arrived", "never arrived", "how long", "waiting", "escalate", "complaint",
        "complain", "refund", "cancel", "useless", "unacceptable", "same problem", "same issue",
        "any update", "any news", "anyone there", "remains the same", "same as before",
        "no change", "no difference", "nothing changed", "didn't change",
    }
)  # fmt: skip
# "yes" and "sure" are left out: they usually answer the agent's question, not close the case.
EN_ACCEPTANCE = _words("ok okay alright fine understood noted 👍 👌")

# What the agent's last turn says about where things stand.
EN_AGENT_DEFERRAL = frozenset(
    {
        "private message", "direct message", "dm", "inbox", "send us", "send me", "provide",
        "contact you", "call you", "get back to you", "follow up", "forward", "forwarded",
        "feed back", "feedback", "escalated", "escalate", "look into", "looking into", "verify",
        "check it", "check for you", "will check", "please wait", "as soon as possible",
        "relevant department", "department", "specialist", "engineers", "technical team",
        "ticket", "report it", "we will", "we'll", "will be",
    }
)  # fmt: skip
EN_AGENT_SOLUTION = frozenset(
    {
        "try", "you can", "you could", "go to", "click", "tap", "select", "open", "restart",
        "reinstall", "reset", "settings", "setting", "update", "upgrade", "download", "turn off",
        "turn on", "corrected", "fixed", "resolved", "solved", "refunded", "credited",
        "cancelled", "canceled", "updated", "booked", "reserved", "processed", "activated",
        "restored", "arranged", "scheduled", "confirmed", "replaced", "removed", "sent",
        "done", "reference number", "on its way", "should be back", "is back", "now working",
    }
)  # fmt: skip
EN_AGENT_APOLOGY = frozenset(
    {
        "sorry", "apologize", "apologise", "apologies", "apology", "inconvenience",
        "unpleasant", "regret",
    }
)  # fmt: skip
EN_AGENT_FAILURE = frozenset(
    {
        "unable to", "couldn't find", "could not find", "cannot", "not possible", "unfortunately",
        "unsuccessful", "not available", "no longer", "not allowed", "isn't allowing",
        "no results", "we don't have", "we do not have", "there are no", "there is no",
    }
)  # fmt: skip


# Small lists for other languages the Page sees; same roles as the English ones.
OTHER_WORDS: dict[str, dict[str, float]] = {
    "es": {
        "gracias": 1.8, "perfecto": 2.7, "genial": 2.5, "excelente": 3.0, "bueno": 1.5,
        "buena": 1.5, "bien": 1.2, "amable": 1.8, "rápido": 1.0, "rápida": 1.0, "feliz": 2.3,
        "contento": 2.0, "contenta": 2.0, "encantado": 2.2, "resuelto": 2.2, "solucionado": 2.2,
        "funciona": 1.2, "vale": 0.6, "malo": -2.3, "mala": -2.3, "mal": -1.8, "fatal": -2.8,
        "terrible": -3.0, "horrible": -3.0, "pésimo": -3.0, "pésima": -3.0, "peor": -2.3,
        "problema": -0.8, "problemas": -0.8, "error": -1.0, "avería": -1.2, "queja": -1.6,
        "reclamación": -1.6, "enfadado": -2.3, "enfadada": -2.3, "harto": -2.5, "harta": -2.5,
        "vergüenza": -2.5, "inaceptable": -2.8, "decepcionado": -2.2, "decepcionada": -2.2,
        "lento": -1.2, "roto": -1.8, "nunca": -0.5, "reembolso": -0.6, "cancelar": -0.6,
        "molestias": -1.0, "inútil": -2.5, "estafa": -3.0, "nadie": -1.5,
    },
    "de": {
        "danke": 1.8, "dankeschön": 2.3, "vielen": 0.5, "super": 2.3, "toll": 2.5, "prima": 2.3,
        "perfekt": 2.7, "klasse": 2.3, "gut": 1.5, "schnell": 1.0, "freundlich": 1.8,
        "hilfreich": 2.0, "zufrieden": 2.0, "froh": 2.0, "gelöst": 2.2, "erledigt": 1.5,
        "funktioniert": 1.2, "klappt": 1.2, "schlecht": -2.3, "schlimm": -2.3,
        "schrecklich": -3.0, "furchtbar": -3.0, "katastrophe": -2.8, "ärgerlich": -2.0,
        "verärgert": -2.3, "enttäuscht": -2.2, "unverschämt": -2.8, "frechheit": -2.8,
        "inakzeptabel": -2.8, "nutzlos": -2.5, "problem": -0.8, "probleme": -0.8,
        "fehler": -1.0, "störung": -1.2, "kaputt": -1.8, "langsam": -1.2, "beschwerde": -1.6,
        "kündigen": -0.8, "kündigung": -0.8, "erstattung": -0.6, "leider": -1.0, "niemand": -1.5,
    },
    "fr": {
        "merci": 1.8, "parfait": 2.7, "parfaite": 2.7, "génial": 2.5, "excellent": 3.0,
        "super": 2.3, "bien": 1.2, "bon": 1.5, "bonne": 1.5, "content": 2.0, "contente": 2.0,
        "ravi": 2.3, "ravie": 2.3, "rapide": 1.0, "aimable": 1.8, "résolu": 2.2, "réglé": 2.0,
        "marche": 0.8, "fonctionne": 1.2, "mauvais": -2.3, "mauvaise": -2.3, "nul": -2.5,
        "nulle": -2.5, "horrible": -3.0, "terrible": -2.5, "pire": -2.3, "inadmissible": -2.8,
        "inacceptable": -2.8, "déçu": -2.2, "déçue": -2.2, "énervé": -2.3, "fâché": -2.3,
        "problème": -0.8, "problèmes": -0.8, "erreur": -1.0, "panne": -1.2, "lent": -1.2,
        "plainte": -1.6, "remboursement": -0.6, "résilier": -0.8, "honte": -2.5,
        "malheureusement": -1.0, "arnaque": -3.0,
    },
    "pt": {
        "obrigado": 1.8, "obrigada": 1.8, "perfeito": 2.7, "ótimo": 2.5, "ótima": 2.5,
        "excelente": 3.0, "bom": 1.5, "boa": 1.5, "legal": 1.5, "rápido": 1.0, "feliz": 2.3,
        "satisfeito": 2.0, "satisfeita": 2.0, "resolvido": 2.2, "resolvida": 2.2,
        "funciona": 1.2, "funcionou": 1.5, "mau": -2.3, "ruim": -2.3, "péssimo": -3.0,
        "péssima": -3.0, "horrível": -3.0, "pior": -2.3, "problema": -0.8, "problemas": -0.8,
        "erro": -1.0, "avaria": -1.2, "reclamação": -1.6, "chateado": -2.2, "chateada": -2.2,
        "decepcionado": -2.2, "decepcionada": -2.2, "inaceitável": -2.8, "lento": -1.2,
        "reembolso": -0.6, "cancelar": -0.6, "absurdo": -2.5, "vergonha": -2.5,
        "infelizmente": -1.0, "ninguém": -1.5,
    },
}  # fmt: skip
OTHER_PHRASES: dict[str, dict[str, float]] = {
    "es": {
        "muchas gracias": 2.5, "mil gracias": 2.5, "ya funciona": 2.2, "no funciona": -2.0,
        "sigue sin": -2.0, "seguimos sin": -2.0, "todavía no": -1.5, "otra vez": -0.8,
        "de nuevo": -0.8, "sin luz": -1.2,
    },
    "de": {
        "vielen dank": 2.5, "danke schön": 2.3, "funktioniert nicht": -2.0,
        "klappt nicht": -2.0, "geht nicht": -1.8, "immer noch": -1.5, "noch immer": -1.5,
        "schon wieder": -1.5, "dritte mal": -1.5, "zweite mal": -0.8,
    },
    "fr": {
        "merci beaucoup": 2.5, "ça marche": 2.0, "ne marche pas": -2.0,
        "ne fonctionne pas": -2.0, "toujours pas": -1.8, "encore une fois": -0.8,
    },
    "pt": {
        "muito obrigado": 2.5, "muito obrigada": 2.5, "não funciona": -2.0,
        "ainda não": -1.5, "de novo": -0.8, "outra vez": -0.8,
    },
}  # fmt: skip
OTHER_NEGATORS: dict[str, frozenset[str]] = {
    "es": _words("no nunca jamás ni sin tampoco nada"),
    "de": _words("nicht kein keine keinen keiner nie niemals ohne nichts"),
    "fr": _words("pas jamais sans aucun aucune rien ni"),
    "pt": _words("não nunca jamais sem nem nada nenhum nenhuma"),
}
OTHER_BOOSTERS: dict[str, dict[str, float]] = {
    "es": {"muy": 0.3, "tan": 0.25, "muchísimo": 0.4, "súper": 0.3, "demasiado": 0.2},
    "de": {"sehr": 0.3, "so": 0.25, "echt": 0.3, "total": 0.3, "wirklich": 0.3, "absolut": 0.35},
    "fr": {"très": 0.3, "vraiment": 0.3, "trop": 0.2, "tellement": 0.3, "hyper": 0.3},
    "pt": {"muito": 0.3, "muita": 0.3, "tão": 0.25, "super": 0.3, "demais": 0.2},
}
OTHER_GRATITUDE: dict[str, frozenset[str]] = {
    "es": frozenset({"gracias", "agradezco", "agradecido", "agradecida"}),
    "de": frozenset({"danke", "dankeschön", "dank"}),
    "fr": frozenset({"merci", "remercie"}),
    "pt": frozenset({"obrigado", "obrigada", "agradeço"}),
}
OTHER_CONFIRMED: dict[str, frozenset[str]] = {
    "es": frozenset({"ya funciona", "resuelto", "solucionado", "volvió", "ya está", "listo"}),
    "de": frozenset({"funktioniert wieder", "gelöst", "erledigt", "geht wieder", "klappt"}),
    "fr": frozenset({"ça marche", "résolu", "réglé", "fonctionne", "c'est bon"}),
    "pt": frozenset({"funcionou", "resolvido", "resolvida", "já está", "voltou"}),
}
OTHER_UNRESOLVED: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"todavía", "sigue", "siguen", "seguimos", "otra vez", "de nuevo", "no funciona",
         "nadie", "reembolso", "queja", "cancelar"}
    ),
    "de": frozenset(
        {"immer noch", "noch immer", "wieder", "funktioniert nicht", "geht nicht", "niemand",
         "beschwerde", "kündigen", "erstattung"}
    ),
    "fr": frozenset(
        {"toujours", "encore", "ne marche pas", "ne fonctionne pas", "personne", "plainte",
         "remboursement", "résilier"}
    ),
    "pt": frozenset(
        {"ainda", "continua", "de novo", "outra vez", "não funciona", "ninguém", "reclamação",
         "reembolso", "cancelar"}
    ),
}  # fmt: skip
OTHER_AGENT_DEFERRAL: dict[str, frozenset[str]] = {
    "es": frozenset({"mensaje privado", "le contactaremos", "revisaremos", "técnicos"}),
    "de": frozenset({"private nachricht", "melden uns", "weitergeleitet", "prüfen"}),
    "fr": frozenset({"message privé", "vous recontacter", "transmis", "vérifier"}),
    "pt": frozenset({"mensagem privada", "entraremos em contato", "verificar", "técnicos"}),
}
OTHER_AGENT_SOLUTION: dict[str, frozenset[str]] = {
    "es": frozenset({"ya anulamos", "corregido", "reembolsado", "puede", "intente"}),
    "de": frozenset({"eingetragen", "erledigt", "korrigiert", "erstattet", "können sie"}),
    "fr": frozenset({"corrigé", "remboursé", "vous pouvez", "essayez"}),
    "pt": frozenset({"corrigido", "reembolsado", "pode", "tente"}),
}
OTHER_AGENT_FAILURE: dict[str, frozenset[str]] = {
    "es": frozenset({"no es posible", "no podemos", "lamentablemente", "no disponible"}),
    "de": frozenset({"nicht möglich", "können wir nicht", "leider", "nicht verfügbar"}),
    "fr": frozenset({"pas possible", "ne pouvons pas", "malheureusement", "pas disponible"}),
    "pt": frozenset({"não é possível", "não podemos", "infelizmente", "não disponível"}),
}
OTHER_AGENT_APOLOGY: dict[str, frozenset[str]] = {
    "es": frozenset({"disculpe", "disculpa", "disculpas", "lo siento", "lamentamos", "molestias"}),
    "de": frozenset({"entschuldigung", "entschuldigen", "tut mir leid", "bedauern"}),
    "fr": frozenset({"désolé", "désolée", "excuses", "excusez"}),
    "pt": frozenset({"desculpe", "desculpa", "lamentamos", "transtorno"}),
}

# Function words, for telling languages apart; only the most frequent, unambiguous ones.
LANGUAGE_HINTS: dict[str, frozenset[str]] = {
    "en": _words(
        "the is are my and to not you it i hi hello please this that with for have was what "
        "can why how of thanks thank"
    ),
    "es": _words(
        "hola gracias el la los las que de por favor mi es está no y una un con para pero "
        "muy ya desde hay"
    ),
    "de": _words(
        "hallo danke bitte ich nicht und die der das mein meine ist ein eine mit für auf "
        "sie wir es noch"
    ),
    "fr": _words(
        "bonjour merci je pas le la les mon ma est et une un avec pour ne vous nous ça c'est"
    ),
    "pt": _words(
        "olá ola obrigado obrigada não meu minha está e uma um com para você o os as do da "
        "em pode muito"
    ),
    "it": _words("ciao grazie il lo la che di non è mio mia per una un con sono ho"),
    "nl": _words("hallo dank bedankt ik niet en de het een mijn is met voor van je wij"),
}
# Letters that only some of these languages use; each hit counts like two function words.
LANGUAGE_LETTERS: dict[str, str] = {"es": "ñ¿¡", "de": "ßäöü", "fr": "œ", "pt": "ãõ"}


# --- The quality review (offline_quality.py) -------------------------------------------------
# Read only by the review, so nothing above changes a score. Each English list is matched with
# the detected language's list on top, as above; phrases are whole tokens as the tokenizer writes
# them ("i'm", "don't" and "s'il" are one token, "calmez-vous" is two).

# How an agent's first reply opens. Matched at the very start of the reply's text (after
# punctuation, emoji and a name in the vocative), never inside a sentence, so these are written
# as text: "bem-vindo" keeps its hyphen. Bare "thanks" is left out: "Thanks! I've refunded it"
# thanks for what the customer sent, it does not welcome them.
EN_AGENT_GREETING = frozenset(
    {
        "hi", "hii", "hiya", "hello", "hey", "heya", "howdy", "g'day", "good morning",
        "good afternoon", "good evening", "good day", "dear", "welcome", "greetings", "👋",
        "thanks for contacting", "thank you for contacting", "thanks for reaching out",
        "thank you for reaching out", "thanks for getting in touch",
        "thank you for getting in touch", "thanks for your message", "thank you for your message",
        "thanks for the message", "thank you for the message", "thanks for messaging",
        "thank you for messaging", "thanks for writing", "thank you for writing",
        "thank you for your inquiry", "thank you for your enquiry",
    }
)  # fmt: skip
# Bare "buenas" is left out: "Buenas noticias" (good news) opens many replies.
OTHER_AGENT_GREETING: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"hola", "buenos días", "buen día", "buenas tardes", "buenas noches", "estimado",
         "estimada", "estimados", "bienvenido", "bienvenida", "saludos", "gracias por contactarnos",
         "gracias por escribirnos", "gracias por comunicarte", "gracias por comunicarse",
         "gracias por tu mensaje", "gracias por su mensaje"}
    ),
    "de": frozenset(
        {"hallo", "guten tag", "guten morgen", "guten abend", "moin", "servus", "grüß gott",
         "grüß dich", "grüezi", "liebe", "lieber", "sehr geehrte", "sehr geehrter",
         "herzlich willkommen", "willkommen", "danke für ihre nachricht",
         "danke für deine nachricht", "vielen dank für ihre nachricht",
         "vielen dank für deine nachricht", "vielen dank für ihre anfrage"}
    ),
    "fr": frozenset(
        {"bonjour", "bonsoir", "salut", "cher", "chère", "bienvenue",
         "merci de nous avoir contactés", "merci de nous avoir contacté",
         "merci pour votre message", "merci de votre message"}
    ),
    "pt": frozenset(
        {"olá", "ola", "oi", "bom dia", "boa tarde", "boa noite", "prezado", "prezada",
         "prezados", "caro", "cara", "bem-vindo", "bem-vinda", "obrigado pelo contato",
         "obrigada pelo contato", "obrigado por entrar em contato",
         "obrigada por entrar em contato", "obrigado pela mensagem", "obrigada pela mensagem"}
    ),
    "it": frozenset(
        {"ciao", "salve", "buongiorno", "buonasera", "buon pomeriggio", "gentile",
         "gentilissimo", "gentilissima", "caro", "cara", "benvenuto", "benvenuta",
         "grazie per averci contattato", "grazie per il messaggio"}
    ),
    "nl": frozenset(
        {"hallo", "hoi", "goedemorgen", "goedemiddag", "goedenavond", "goedendag", "beste",
         "geachte", "welkom", "bedankt voor je bericht", "bedankt voor uw bericht"}
    ),
}  # fmt: skip

# How an agent's last reply closes: more help offered, thanks, or goodbye. "let us know" only
# with "if": "let us know your account number" asks for something, it does not close.
EN_AGENT_CLOSING = frozenset(
    {
        "anything else", "anything more", "something else", "is there anything",
        "happy to help", "glad to help", "happy to assist", "glad to assist", "glad i could help",
        "happy i could help", "here to help", "let us know if", "let me know if",
        "let us know should", "let me know should", "feel free to", "don't hesitate",
        "do not hesitate", "reach out if", "reach out again", "contact us again",
        "get back to us if", "thanks", "thank", "thx", "many thanks", "appreciate",
        "cheers", "regards", "kind regards", "best regards", "best wishes", "have a nice",
        "have a great", "have a good", "have a lovely", "have a wonderful", "have a pleasant",
        "enjoy your", "enjoy the rest", "bye", "goodbye", "good bye", "take care", "talk soon",
        "see you", "you're welcome", "you are welcome", "my pleasure", "good night",
    }
)  # fmt: skip
# Bare "gerne" is left out: "Gerne, ich habe ... eingetragen" opens an answer ("gladly").
OTHER_AGENT_CLOSING: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"algo más", "alguna otra", "otra consulta", "otra cosa", "gracias", "muchas gracias",
         "que tenga un buen día", "que tengas un buen día", "buen día", "feliz día",
         "hasta luego", "hasta pronto", "adiós", "saludos", "un saludo", "atentamente",
         "a su disposición", "a tu disposición", "no dude en", "no dudes en", "con gusto",
         "de nada", "un placer"}
    ),
    "de": frozenset(
        {"noch fragen", "weitere fragen", "sonst noch", "noch etwas", "danke", "vielen dank",
         "herzlichen dank", "danke schön", "dankeschön", "gern geschehen", "melden sie sich gerne",
         "melden sie sich jederzeit", "jederzeit gerne", "schönen tag", "schönes wochenende",
         "tschüss", "auf wiedersehen", "auf wiederhören", "bis bald", "viele grüße",
         "liebe grüße", "freundliche grüße", "freundlichen grüßen", "beste grüße"}
    ),
    "fr": frozenset(
        {"autre chose", "autre question", "merci", "merci beaucoup", "bonne journée",
         "bonne soirée", "bon week end", "au revoir", "à bientôt", "à votre disposition",
         "n'hésitez pas", "cordialement", "bien à vous", "avec plaisir", "de rien",
         "je vous en prie"}
    ),
    "pt": frozenset(
        {"algo mais", "mais alguma coisa", "outra dúvida", "obrigado", "obrigada",
         "muito obrigado", "muito obrigada", "tenha um bom dia", "tenha um ótimo dia",
         "até logo", "até mais", "tchau", "abraço", "abraços", "atenciosamente", "à disposição",
         "não hesite", "disponha", "de nada", "por nada"}
    ),
    "it": frozenset(
        {"qualcos'altro", "altre domande", "grazie", "grazie mille", "buona giornata",
         "buona serata", "arrivederci", "a presto", "ciao", "cordiali saluti", "distinti saluti",
         "non esiti", "a disposizione", "prego", "di niente"}
    ),
    "nl": frozenset(
        {"nog vragen", "verder nog", "iets anders", "bedankt", "dank je", "dank u", "dankjewel",
         "dankuwel", "fijne dag", "prettige dag", "fijn weekend", "tot ziens", "groeten",
         "vriendelijke groet", "vriendelijke groeten", "graag gedaan", "geen dank"}
    ),
}  # fmt: skip

# Understanding and reassurance, beside the apologies (EN_AGENT_APOLOGY) the scorer already reads.
# Italian and Dutch have no apology list above, so theirs are here.
EN_AGENT_EMPATHY = frozenset(
    {
        "i understand", "we understand", "i can understand", "we can understand",
        "i completely understand", "i totally understand", "i fully understand",
        "understand your frustration", "understand your concern", "understandable",
        "i'm afraid", "i am afraid", "must be frustrating", "must be annoying",
        "can be frustrating", "i can imagine", "i hear you", "we regret", "my apologies",
        "sorry to hear", "thanks for your patience", "thank you for your patience",
        "appreciate your patience", "bear with us", "rest assured", "don't worry",
        "do not worry", "no need to worry",
    }
)  # fmt: skip
OTHER_AGENT_EMPATHY: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"lamento", "sentimos", "entiendo", "comprendo", "entendemos", "comprendemos",
         "no se preocupe", "no te preocupes", "gracias por su paciencia",
         "gracias por tu paciencia"}
    ),
    "de": frozenset(
        {"entschuldigen sie", "bedaure", "ich verstehe", "wir verstehen", "verständlich",
         "keine sorge", "keine sorgen", "danke für ihre geduld", "danke für deine geduld"}
    ),
    "fr": frozenset(
        {"navré", "navrée", "pardon", "je comprends", "nous comprenons", "ne vous inquiétez pas",
         "merci de votre patience", "merci pour votre patience"}
    ),
    "pt": frozenset(
        {"lamento", "sentimos muito", "entendo", "compreendo", "entendemos", "não se preocupe",
         "obrigado pela paciência", "obrigada pela paciência"}
    ),
    "it": frozenset(
        {"mi dispiace", "ci dispiace", "scusi", "scusa", "scuse", "ci scusiamo", "capisco",
         "comprendo", "non si preoccupi", "grazie per la pazienza"}
    ),
    "nl": frozenset(
        {"excuses", "het spijt me", "het spijt ons", "ik begrijp", "wij begrijpen",
         "we begrijpen", "begrijpelijk", "geen zorgen"}
    ),
}  # fmt: skip

# The agent asks for what it needs to know (a question mark counts on its own).
EN_AGENT_DETAILS = frozenset(
    {
        "could you send", "could you provide", "could you share", "could you confirm",
        "could you tell", "could you check", "can you send", "can you provide", "can you share",
        "can you confirm", "can you tell", "can you check", "would you send",
        "would you provide", "would you confirm", "please send", "please provide",
        "please share", "please confirm", "please tell", "kindly send", "kindly provide",
        "kindly share", "kindly confirm", "send us", "send me", "provide", "share with us",
        "confirm your", "may i have", "may we have", "can i have", "could i have",
        "let me know your", "let us know your", "what is your", "what's your", "details",
        "more information", "more info", "screenshot", "photo", "picture", "account number",
        "meter number", "phone number", "order number", "customer number",
    }
)  # fmt: skip
OTHER_AGENT_DETAILS: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"puede enviar", "podría enviar", "puede indicar", "podría indicar", "indíquenos",
         "envíenos", "envíanos", "facilítenos", "proporcione", "número de cuenta",
         "número de contrato", "datos"}
    ),
    "de": frozenset(
        {"können sie uns", "könnten sie uns", "bitte senden", "bitte schicken",
         "schicken sie uns", "senden sie uns", "teilen sie uns", "nennen sie uns",
         "kundennummer", "vertragsnummer", "zählernummer"}
    ),
    "fr": frozenset(
        {"pouvez vous nous", "pourriez vous nous", "merci de nous envoyer", "envoyez nous",
         "numéro de client", "numéro de contrat"}
    ),
    "pt": frozenset(
        {"pode enviar", "poderia enviar", "pode informar", "poderia informar", "envie",
         "nos informe", "número da conta", "número do contrato"}
    ),
    "it": frozenset(
        {"può inviarci", "potrebbe inviarci", "può indicarci", "ci invii", "ci indichi",
         "numero cliente", "numero di contratto"}
    ),
    "nl": frozenset({"kunt u ons", "kun je ons", "stuur ons", "stuurt u ons", "klantnummer"}),
}  # fmt: skip

# Steps and answers the review counts as a solution beside EN_AGENT_SOLUTION.
EN_AGENT_STEPS = frozenset(
    {
        "you need to", "you have to", "you should", "you will need", "you'll need",
        "follow these", "steps", "here is", "here's", "the link", "this link", "log in",
        "sign in", "check your", "make sure", "switch off", "switch on", "unplug",
    }
)  # fmt: skip
OTHER_AGENT_STEPS: dict[str, frozenset[str]] = {
    "es": frozenset({"tiene que", "debe", "siga", "pasos", "aquí tiene", "enlace"}),
    "de": frozenset({"müssen sie", "folgen sie", "schritte", "hier ist", "link"}),
    "fr": frozenset({"vous devez", "suivez", "étapes", "voici", "lien"}),
    "pt": frozenset({"você precisa", "siga", "passos", "aqui está", "link"}),
    "it": frozenset({"può", "provi", "deve", "segua", "passaggi", "ecco", "link"}),
    "nl": frozenset({"u kunt", "je kunt", "probeer", "stappen", "hier is", "link"}),
}
# Phrases that begin with a solution cue but send the customer elsewhere or promise news later:
# the longer phrase wins, so "update you" is not an "update" and "you can dm" not a "you can".
EN_AGENT_REFERRAL = frozenset(
    {
        "update you", "keep you updated", "keep you posted", "you can dm", "you can contact",
        "you can call", "you can reach", "you can message", "you could contact",
        "you could call", "try again later", "try later",
    }
)  # fmt: skip

# Words that make a reply rude whatever else it says. "whatever" only ends a sentence
# ("whatever." / "whatever,"): "whatever you need" is helpful.
EN_AGENT_RUDE = frozenset(
    {
        "stupid", "idiot", "idiots", "idiotic", "dumb", "moron", "shut up", "calm down",
        "not my problem", "not our problem", "that's your problem", "it's your problem",
        "your own fault", "your fault", "just deal with it", "as i said", "as i already said",
        "like i said", "i already told you", "i told you", "stop complaining", "stop shouting",
        "no need to shout", "go away", "not my job", "figure it out", "you people",
        "can't you read", "learn to read", "whatever .", "whatever ,", "whatever !",
        "ridiculous", "nonsense", "rubbish", "crap", "damn", "wtf", "stfu", "ffs", "bullshit",
        "shit", "fuck", "fucking",
    }
)  # fmt: skip
OTHER_AGENT_RUDE: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"no es mi problema", "no es nuestro problema", "cálmese", "cálmate", "tranquilícese",
         "estúpido", "estúpida", "idiota", "ya le dije", "lo que sea ."}
    ),
    "de": frozenset(
        {"nicht mein problem", "nicht unser problem", "beruhigen sie sich", "dumm", "idiot",
         "ist mir egal", "selbst schuld"}
    ),
    "fr": frozenset(
        {"pas mon problème", "pas notre problème", "calmez vous", "stupide", "idiot",
         "je vous l'ai déjà dit"}
    ),
    "pt": frozenset(
        {"não é problema meu", "não é meu problema", "acalme se", "estúpido", "idiota"}
    ),
    "it": frozenset(
        {"non è un mio problema", "non è un nostro problema", "si calmi", "stupido", "idiota"}
    ),
    "nl": frozenset({"niet mijn probleem", "niet ons probleem", "kalm aan", "dom", "idioot"}),
}  # fmt: skip

# The customer asks for something (a question mark counts on its own). Bare "help" is left out:
# "thanks for your help" asks for nothing.
EN_CUSTOMER_REQUEST = frozenset(
    {
        "please", "pls", "plz", "kindly", "can you", "could you", "would you", "can i",
        "could i", "may i", "can we", "how do i", "how can i", "how to", "when will",
        "where is", "where can", "what is", "why is", "why does", "why did", "i want",
        "i need", "we want", "we need", "i would like", "i'd like", "we would like",
        "we'd like", "i wish to", "help me", "need help", "is it possible", "tell me",
        "let me know", "question", "questions", "wondering", "want to know", "like to know",
        "inquire", "enquire", "inquiry", "enquiry",
    }
)  # fmt: skip
OTHER_CUSTOMER_REQUEST: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"por favor", "puede", "pueden", "podría", "podrían", "necesito", "quiero", "quisiera",
         "me gustaría", "ayuda", "ayúdenme", "cómo puedo", "cómo hago"}
    ),
    "de": frozenset(
        {"bitte", "können sie", "könnten sie", "kann ich", "ich möchte", "ich brauche",
         "ich will", "hilfe", "wie kann ich", "möchte"}
    ),
    "fr": frozenset(
        {"s'il vous plaît", "svp", "pouvez vous", "pourriez vous", "je voudrais", "je veux",
         "j'ai besoin", "aide", "aidez moi", "comment faire"}
    ),
    "pt": frozenset(
        {"por favor", "pode", "podem", "poderia", "preciso", "quero", "gostaria", "ajuda",
         "como faço"}
    ),
    "it": frozenset(
        {"per favore", "per piacere", "può", "potete", "potrebbe", "vorrei", "voglio",
         "ho bisogno", "aiuto", "come posso"}
    ),
    "nl": frozenset(
        {"alstublieft", "alsjeblieft", "graag", "kunt u", "kunnen jullie", "kun je", "ik wil",
         "hulp"}
    ),
}  # fmt: skip

# The customer reports a problem (beside EN_UNRESOLVED): words with little valence ("can't",
# "no light") or that a "thanks" beside them outweighs. Reporting a fault to support asks for a fix.
EN_CUSTOMER_PROBLEM = frozenset(
    {
        "problem", "problems", "issue", "issues", "trouble", "broken", "error", "errors",
        "fault", "faulty", "bug", "crash", "crashed", "can't", "cannot", "cant", "unable",
        "couldn't", "not working", "doesn't work", "does not work", "isn't working",
        "stopped working", "won't work", "failed", "fails", "wrong", "missing", "lost", "stuck",
        "keeps", "dropping", "drops",
        "outage", "blackout", "is down", "went down", "are down", "been down", "no power",
        "no light", "no electricity", "no internet", "no signal", "no service", "no water",
        "no network", "overcharged", "charged twice", "double charged", "delay", "delayed",
        "damaged", "leak", "leaking", "disconnected", "cut off", "slow", "ripped off", "complaint",
        "complain",
    }
)  # fmt: skip
OTHER_CUSTOMER_PROBLEM: dict[str, frozenset[str]] = {
    "es": frozenset(
        {"problema", "problemas", "error", "avería", "falla", "fallo", "no funciona",
         "no puedo", "roto", "rota", "sin luz", "sin servicio", "sin internet", "dos veces",
         "queja"}
    ),
    "de": frozenset(
        {"problem", "probleme", "fehler", "störung", "kaputt", "funktioniert nicht",
         "geht nicht", "kann nicht", "kein strom", "kein internet", "ausfall", "falsch",
         "beschwerde"}
    ),
    "fr": frozenset(
        {"problème", "problèmes", "erreur", "panne", "ne marche pas", "ne fonctionne pas",
         "je ne peux pas", "cassé", "pas de courant", "pas d'électricité", "faux", "fausse",
         "plainte"}
    ),
    "pt": frozenset(
        {"problema", "problemas", "erro", "avaria", "não funciona", "não consigo", "quebrado",
         "sem luz", "sem energia", "sem internet", "errado", "errada", "reclamação"}
    ),
    "it": frozenset(
        {"problema", "problemi", "errore", "guasto", "non funziona", "non riesco", "rotto",
         "senza luce", "senza corrente", "sbagliato", "sbagliata", "reclamo"}
    ),
    "nl": frozenset(
        {"probleem", "problemen", "fout", "storing", "werkt niet", "kapot", "geen stroom",
         "geen internet", "klacht"}
    ),
}  # fmt: skip
# The customer says how they feel (beside a negative sentiment, which a "thanks" can outweigh).
EN_CUSTOMER_FEELING = _words(
    "worried upset angry annoyed frustrated frustrating disappointed unhappy sad confused "
    "furious scared afraid anxious stressed concerned"
) | frozenset({"fed up", "tired of"})
OTHER_CUSTOMER_FEELING: dict[str, frozenset[str]] = {
    "es": _words("preocupado preocupada enfadado enfadada molesto molesta harto harta"),
    "de": _words("verärgert enttäuscht besorgt sauer genervt"),
    "fr": _words("inquiet inquiète déçu déçue énervé énervée fâché fâchée"),
    "pt": _words("preocupado preocupada chateado chateada irritado irritada"),
    "it": _words("preoccupato preoccupata arrabbiato arrabbiata deluso delusa"),
    "nl": _words("boos teleurgesteld bezorgd gefrustreerd"),
}

# Words that say nothing about the customer's issue: a reply that shares only these with the
# customer's message has not engaged with it. Words under three letters never count; all
# languages' lists apply at once (LANGUAGE_HINTS too), since none of them names an issue.
EN_FUNCTION_WORDS = _words(
    "the and you your yours are was were for can could would should will shall may might must "
    "how why what when where which who whom whose this that these those there here with from "
    "have has had having been being into onto over under about after before again also just "
    "still only very much more most some any all each every other another than then them they "
    "their theirs our ours ourselves his her hers him she its it's i'm i've i'll i'd you're "
    "we're we've we'll they're don't doesn't didn't isn't aren't wasn't can't won't cannot "
    "not now yes yeah yep nope okay ok sure fine well good great nice thanks thank please "
    "kindly sorry hello dear hey morning afternoon evening today tomorrow yesterday soon time "
    "day days week moment minute minutes help helps helped assist assistance check checked "
    "checking look looking team customer customers support message messages contact regards "
    "issue issues problem problems matter request query concern concerns inconvenience "
    "trouble get got let see know like need want able back sir madam ma'am anyone someone "
    "something anything nothing everything one two way did does doing done make made give "
    "take said say tell told ask asked reply send sent but because since until while though "
    "although however out off too yet upon via per let's lot lots really else hope happy glad "
    "welcome thx"
)
OTHER_FUNCTION_WORDS = _words(
    "por para con sin una uno unos unas del los las que qué como cómo pero más muy ya hay "
    "esta este esto está están estoy usted ustedes gracias hola favor buenos buenas puede "
    "puedo ayudar ayuda sus nuestro nuestra "
    "und oder aber nicht kein keine ich sie wir ihr ihnen ihre mein meine dein der die das den "
    "dem des ein eine einen einem mit für auf von bei nach noch schon bitte danke hallo "
    "gerne helfen können kann haben habe hat sind ist war "
    "les des une pour avec dans sur pas vous nous votre vos notre mon mes est sont merci "
    "bonjour aide aider pouvez peux "
    "não sim uma com para pelo pela você vocês seu sua nosso nossa está são obrigado "
    "obrigada olá ajudar ajuda pode posso "
    "il lo gli che per con non sono mio mia suo sua grazie ciao aiutare aiuto "
    "het een niet ook van voor met mijn uw jullie bedankt dank hallo helpen "
    "ayudarle ayudarte servirle wie was wer warum wann comment puis aider come posso aiutarla "
    "aiutarti hoe kan"
)
