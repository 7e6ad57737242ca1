"""Text folding and tokenising shared by the knowledge side and the question side.

Both sides must go through exactly the same steps, or a fact's words and a member's
words would never meet: case, accents, typographic marks, elisions and punctuation.
"""

from __future__ import annotations

import re
import unicodedata

#: Typographic quotes and apostrophes: the only marks quotes are forgiven (see quote_form).
_QUOTES = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201c": '"',
    "\u201d": '"',
}
_QUOTE_MARKS = str.maketrans(_QUOTES)
#: What matching folds besides: more apostrophe look-alikes, ligatures, non-breaking spaces.
_MARKS = str.maketrans(
    _QUOTES | {"`": "'", "\u00b4": "'", "\u0153": "oe", "\u00e6": "ae", "\u00df": "ss", "\u00a0": " ", "\u202f": " "}
)
_DECIMAL = re.compile(r"(?<=\d)[,.](?=\d)")
_TOKEN = re.compile(r"\d+(?:_\d+)?|[^\W\d_]+")

#: Longest text the engine looks at; longer messages are cut (Discord allows 2000, DMs 4000).
MAX_CHARS = 4000
#: Words of a question the matcher reads (the first ones): bounds the work of a long one (4,000
#: characters hold 700 words). Evaluation questions have at most 24.
MAX_WORDS = 100


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Text as it enters the bot, safe to store and send: surrogate pairs joined, unpaired ones replaced by U+FFFD.

    A lone surrogate (JSON allows "\\ud800") cannot be encoded as UTF-8: SQLite, a terminal or an
    HTTP body would fail on it much later, far from where it came in.
    """
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _strip_accent(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


#: Accented Latin letters mapped once to their plain forms: the common case costs one translate().
_LATIN = {chr(c): _strip_accent(chr(c)) for c in range(0xC0, 0x250) if _strip_accent(chr(c)) != chr(c)}
#: Typographic marks and accented letters in one table (marks first: "œ" is "oe", not "œ" unaccented).
_FOLD = str.maketrans(_LATIN | {chr(k): v for k, v in _MARKS.items()})


def fold(text: str) -> str:
    """Lowercase, drop accents and map typographic marks to their plain forms."""
    text = text[:MAX_CHARS]
    if text.isascii():
        # Most texts (nine in ten of a large base's): the table's one ASCII key is the backquote, and
        # casefold is lower, so the per-character look-ups of translate are spared (the same result).
        text = text.lower()
        return text.replace("`", "'") if "`" in text else text
    text = text.casefold().translate(_FOLD)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Split folded text into words and numbers; "10,76" stays one token ("10_76")."""
    folded = fold(text)
    if "," in folded or "." in folded:  # a decimal mark needs one of them: most texts skip the substitution
        folded = _DECIMAL.sub("_", folded)
    return _TOKEN.findall(folded)


def stem(token: str) -> str:
    """A light plural stemmer, enough for French and English nouns ("ventes", "sales")."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


_SPACES = re.compile(r"\s+")


def quote_form(text: str) -> str:
    """The form in which quotes are compared with sources: whitespace and quote marks only."""
    text = text.translate(_QUOTE_MARKS).replace("\u00a0", " ").replace("\u202f", " ")
    return _SPACES.sub(" ", text).strip()
