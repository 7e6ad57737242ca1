"""The engine's own sentences (not facts), in each reply language."""

from __future__ import annotations

#: The language of a sentence asked for in a language no table has: French, the project's default (the
#: Discord front end's table, cogs/strings.py, falls back to it too).
FALLBACK_LANG = "fr"

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "greeting": "Bonjour ! Je réponds aux questions sur l'Alliance Renault-Nissan-Mitsubishi, "
        "d'après un article de décembre 2019. Par exemple : « Qui dirige Nissan ? »",
        "thanks": "Avec plaisir ! D'autres questions sur l'Alliance ?",
        "help": "Je réponds aux questions sur l'Alliance Renault-Nissan-Mitsubishi d'après un article "
        "de décembre 2019. Sujets : {topics}. Exemple : « Combien de véhicules l'Alliance a-t-elle vendus en 2018 ? »",
        "unknown": "L'article ne traite pas de cette question. Je peux parler de : {topics}.",
        "unsure": "Je ne suis pas sûr d'avoir compris. Vouliez-vous dire :",
        "empty": "Posez-moi une question sur l'Alliance Renault-Nissan-Mitsubishi, "
        "par exemple : « Où s'est tenue la réunion ? »",
        "source": "Source",
        "confidence": "Confiance",
        "quote": "Citation",
        "understood": "Compris comme",
    },
    "en": {
        "greeting": "Hello! I answer questions about the Renault-Nissan-Mitsubishi Alliance, "
        'from a December 2019 article. For example: "Who runs Nissan?"',
        "thanks": "You're welcome! Anything else about the Alliance?",
        "help": "I answer questions about the Renault-Nissan-Mitsubishi Alliance from a December 2019 "
        'article. Topics: {topics}. Example: "How many vehicles did the Alliance sell in 2018?"',
        "unknown": "The article does not cover that question. I can tell you about: {topics}.",
        "unsure": "I'm not sure I understood. Did you mean:",
        "empty": 'Ask me a question about the Renault-Nissan-Mitsubishi Alliance, e.g. "Where was the meeting held?"',
        "source": "Source",
        "confidence": "Confidence",
        "quote": "Quote",
        "understood": "Read as",
    },
}


def message(lang: str, key: str, **values: str) -> str:
    """One sentence in `lang` (French when the language is unknown)."""
    return MESSAGES.get(lang, MESSAGES[FALLBACK_LANG])[key].format(**values)
