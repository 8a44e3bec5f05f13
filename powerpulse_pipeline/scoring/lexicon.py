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
