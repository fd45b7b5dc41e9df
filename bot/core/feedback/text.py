"""Turn an answer into tokens that compare the way a reader would.

Every token keeps its character span in the original text (normalisation never changes the
length), its sentence and clause, and a *key*: the word lemmatised (questions.lemma, so "went" is
"go" and "understood" is "understand"), spelled the American way ("prioritise" and
"prioritize" meet), aliased where stems differ ("architects"/"architecture") and then
stemmed (Snowball), so "stakeholders" meets "stakeholder". Phrases and answers are keyed by
the same function, so both sides always agree.
"""

import re
from functools import lru_cache
from typing import Final, NamedTuple

import snowballstemmer

from questions.lemma import WORD_CACHE_SIZE, lemma

# Typographic marks become their ASCII twins one character for one, so spans stay valid.
_TRANSLATE: Final = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "–": "-",
        "—": "-",
        "‑": "-",
    }
)
_WORD: Final = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SENTENCE_BREAK: Final = re.compile(r"[.!?…;]")
_CLAUSE_BREAK: Final = re.compile(r"[,:()\[\]\"/•*]| - |-{2,}| -$|^- ")
# Breaks stronger than a comma: a negation never runs on past them.
_HARD_BREAK: Final = re.compile(r"[:()\[\]\"•*]| - |-{2,}| -$|^- ")
_ACRONYM_PLURAL: Final = re.compile(r"[A-Z][A-Z0-9]+s")
# Lowercase plurals of acronyms that the stemmer leaves alone ("kpis" stays "kpis").
_ACRONYMS: Final = frozenset(
    "kpi sla okr sow rfp rfi rfq poc mvp sme cab api slo sli nfr ci cd vm pi epic".split()
)
_US_SPELLING: Final = (
    (re.compile(r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=\w{2})ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=\w{3})our(s|ed|ing|al|ally)?$"), r"or\1"),
    (re.compile(r"(?<=\w{3})tre(s)?$"), r"ter\1"),
    (re.compile(r"^licen[cs]"), "licens"),
    (re.compile(r"^programme"), "program"),
    (re.compile(r"^catalogue"), "catalog"),
)
# Matches wherever any of _US_SPELLING's patterns could: most words match none, and one search
# is cheaper than seven substitutions.
_US_SPELLING_GATE: Final = re.compile(
    r"(?:is(?:e|es|ed|ing|ation|ations|er|ers)|ys(?:e|es|ed|ing)|our(?:s|ed|ing|al|ally)?|tres?)$"
    r"|^(?:licen[cs]|programme|catalogue)"
)
# Stems that differ although a candidate means the same thing.
ALIASES: Final[dict[str, str]] = {
    "architectur": "architect",
    "analysi": "analyz",
    "complianc": "compli",
    "compliant": "compli",
    "retro": "retrospect",
    "automat": "autom",
    "sign-off": "sign",
    "estim": "estim",
    "prioriti": "priorit",
    "dependenc": "depend",
}
# Acronyms and what they stand for: a phrase written one way also matches the other.
# Acronyms that are also everyday words or times ("sit", "pm") are left out.
EXPANSIONS: Final[dict[str, str]] = {
    "po": "product owner",
    "sm": "scrum master",
    "ba": "business analyst",
    "uat": "user acceptance testing",
    "rca": "root cause analysis",
    "sow": "statement of work",
    "dod": "definition of done",
    "dor": "definition of ready",
    "wip": "work in progress",
    "cab": "change advisory board",
    "raci": "responsibility matrix",
    "kpi": "key performance indicator",
    "sla": "service level agreement",
    "mvp": "minimum viable product",
    "poc": "proof of concept",
    "roi": "return on investment",
    "tco": "total cost of ownership",
    "pmo": "project management office",
    "sme": "subject matter expert",
    "nfr": "non functional requirement",
    "okr": "objectives and key results",
    "rfp": "request for proposal",
    "steerco": "steering committee",
    "eac": "estimate at completion",
    "evm": "earned value management",
    "t&m": "time and materials",
    "raid": "risks assumptions issues and dependencies",
    "pir": "post implementation review",
}
_stemmer = snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Same length as `text`: curly quotes, dashes and odd spaces become plain ones."""
    return text.translate(_TRANSLATE)


@lru_cache(maxsize=WORD_CACHE_SIZE)
def key(word: str) -> str:
    """The comparison key of one lowercase word."""
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("s'"):
        word = word[:-1]
    if word.endswith("s") and word[:-1] in _ACRONYMS:
        word = word[:-1]
    base = american(lemma(word))
    stem = str(_stemmer.stemWord(base))
    return ALIASES.get(stem, stem)


class Token(NamedTuple):  # a tuple: hundreds are built per answer, and tuples build fastest
    word: str  # lowercase surface form
    key: str
    start: int  # span in the original text
    end: int
    sentence: int
    clause: int
    segment: int  # like clause, but only dashes, colons and brackets separate segments


# Irregular plurals and comparatives whose lemma differs, though they are not verbs.
_NOT_VERBS: Final = frozenset(
    "criteria media men women children people better worse best data less least".split()
)


def american(word: str) -> str:
    """The American spelling of a lemma: "prioritise" -> "prioritize", "colour" -> "color"."""
    if _US_SPELLING_GATE.search(word):
        for pattern, replacement in _US_SPELLING:
            word = pattern.sub(replacement, word)
    return word


def irregular_verb(word: str) -> bool:
    """An irregular past form ("said", "ran", "went"): a verb even where no pronoun shows it.

    Regular "-ed" forms are left out on purpose: in a list of terms they are adjectives
    ("phased rollout", "automated tests"); so are comparatives ("faster releases", "fewer
    approvals"), whose lemma differs too.
    """
    if len(word) < 3 or word in _NOT_VERBS or "'" in word or word.endswith(("s", "ed", "ing", "er", "est")):
        return False
    return lemma(word) != word


def words(text: str) -> list[str]:
    """The lowercase words of a text, as counted for the answer's length."""
    return _WORD.findall(normalise(text).casefold())


def tokenize(text: str) -> list[Token]:
    """Tokens with their spans, sentence and clause numbers."""
    clean = normalise(text)
    tokens: list[Token] = []
    sentence = clause = segment = 0
    previous_end = 0
    for match in _WORD.finditer(clean):
        surface = match.group()
        if tokens and clean[previous_end : match.start()] != " ":  # one space: same clause
            gap = clean[previous_end : match.start()]
            if "\n" in gap or (_SENTENCE_BREAK.search(gap) and (gap[-1].isspace() or "…" in gap)):
                sentence += 1
                clause += 1
                segment += 1
            elif _CLAUSE_BREAK.search(gap):
                clause += 1
                if _HARD_BREAK.search(gap):
                    segment += 1
        word = surface.casefold()
        # "SLAs", "KPIs": an acronym's plural; the stemmer would keep the s.
        if _ACRONYM_PLURAL.fullmatch(surface):
            word = word[:-1]
        tokens.append(Token(word, key(word), match.start(), match.end(), sentence, clause, segment))
        previous_end = match.end()
    return tokens


def phrase_keys(phrase: str) -> tuple[str, ...]:
    """The keys of a match phrase, compared token by token with an answer's."""
    return tuple(token.key for token in tokenize(phrase))


def _expansion_keys() -> dict[tuple[str, ...], tuple[str, ...]]:
    pairs: dict[tuple[str, ...], tuple[str, ...]] = {}
    for short, long in EXPANSIONS.items():
        short_keys, long_keys = phrase_keys(short), phrase_keys(long)
        if short_keys and long_keys:
            pairs.setdefault(short_keys, long_keys)
            pairs.setdefault(long_keys, short_keys)
    return pairs


_EXPANDED: dict[tuple[str, ...], tuple[str, ...]] = {}


def variants(keys: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Other ways of writing a phrase: its acronym, or what its acronym stands for."""
    if not _EXPANDED:
        _EXPANDED.update(_expansion_keys())
    other = _EXPANDED.get(keys)
    return (other,) if other else ()
