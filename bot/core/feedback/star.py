"""Behavioural coaching: which STAR parts an answer shows, and what weakens it.

Each part is found by cue phrases (keyed like talking points, so "we went live" and "we go
live" agree); an action is a first-person subject followed by a past-tense verb. The flags:
- hypothetical: more sentences say what the candidate *would* do than what they did;
- we_only: actions told with "we" and never with "I";
- no_numbers: a result is told, but nothing in the result sentences is a number, a
  percentage, money or a time.
"""

import re
from collections.abc import Sequence
from typing import Final

from bot.core.feedback.matching import find
from bot.core.feedback.model import STAR_NAMES, StarAnalysis, StarFlag, StarName, StarPart
from bot.core.feedback.quote import sentence_quote
from bot.core.feedback.text import Token, phrase_keys
from questions.lemma import lemma

_CUES: Final[dict[StarName, tuple[str, ...]]] = {
    "situation": (
        "last year",
        "years ago",
        "a year ago",
        "months ago",
        "in my last",
        "in my previous",
        "at my last",
        "at my previous",
        "in my current",
        "at my current",
        "at the time",
        "when i was",
        "when i joined",
        "we had",
        "there was",
        "there were",
        "the project was",
        "the team was",
        "our team",
        "a client",
        "the client",
        "the company",
        "a project",
        "on a project",
        "situation",
        "context",
        "was behind",
        "was running late",
        "was late",
        "at a bank",
        "at an insurer",
        "at a retailer",
        "i was working",
        "i worked",
        "i joined",
        "we were",
        "the programme",
        "the rollout",
        "the migration",
    ),
    "task": (
        "my role",
        "my job",
        "my task",
        "i was responsible",
        "responsible for",
        "i was asked",
        "asked me",
        "i was brought in",
        "i was hired",
        "i had to",
        "i needed to",
        "we needed to",
        "we had to",
        "goal was",
        "the goal",
        "my goal",
        "aim was",
        "objective",
        "i owned",
        "tasked",
        "my responsibility",
        "up to me",
        "in charge",
        "i was leading",
        "i led",
        "as the project manager",
        "as pm",
        "challenge was",
        "needed to",
        "had to",
        "i was the",
        "was supposed to",
        "my remit",
    ),
    "result": (
        "as a result",
        "result",
        "in the end",
        "ended up",
        "outcome",
        "went live",
        "go live",
        "delivered",
        "saved",
        "reduced",
        "increased",
        "improved",
        "cut",
        "on time",
        "on budget",
        "under budget",
        "finally",
        "by the end",
        "afterwards",
        "since then",
        "which meant",
        "that meant",
        "learned",
        "learnt",
        "lesson",
        "success",
        "successful",
        "shipped",
        "launched",
        "dropped",
        "fell",
        "rose",
        "grew",
        "halved",
        "doubled",
        "achieved",
        "completed",
        "signed off",
        "recovered",
        "back on track",
        "the next",
        "from then on",
        "now",
        "still use",
        "adopted",
        "closed",
        "resolved",
        "met the",
        "hit the",
        "kept the",
        "avoided",
        "fewer",
        "faster",
        "lower",
        "higher",
    ),
}
_CUE_KEYS: Final = {name: tuple(phrase_keys(cue) for cue in cues) for name, cues in _CUES.items()}
_I: Final = frozenset({"i", "i've", "myself"})
_WE: Final = frozenset({"we", "we've", "us", "our"})
_ME: Final = frozenset({"i", "i've", "i'd", "i'm", "i'll", "me", "my", "myself", "mine"})
_NOT_ACTIONS: Final = frozenset("was were had would could should will be am 'm 'd".split())
_ADVERBS: Final = frozenset("then also first quickly personally immediately just finally eventually".split())
_HYPOTHETICAL: Final = frozenset("would i'd we'd you'd will i'll we'll you'll should".split())
_PAST: Final = frozenset("was were did had".split())
_QUANTITY: Final = re.compile(
    r"\d|%|[$€£]|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundreds?|thousands?|millions?|billions?|half|twice|double|doubled|halved|triple|"
    r"percent|per cent|dozens?|days?|weeks?|months?|years?|hours?|minutes?|quarters?|"
    r"fortnight|overnight)\b",
    re.IGNORECASE,
)


_WEAKEST_FIRST: Final[tuple[StarName, ...]] = ("result", "action", "task", "situation")


def _sentence_text(text: str, tokens: Sequence[Token], sentence: int) -> str:
    """The raw text of one sentence, with the marks after its last word ("40%")."""
    members = [t for t in tokens if t.sentence == sentence]
    return text[members[0].start : members[-1].end + 1]


def _is_past(word: str) -> bool:
    """A past-tense or participle form: "agreed", "ran", "wrote"."""
    if word in _NOT_ACTIONS or "'" in word:
        return False
    if word.endswith("ed") and len(word) > 4:
        return True
    base = lemma(word)
    return base != word and not word.endswith(("s", "ing")) and len(word) > 2


def _tells_past(word: str) -> bool:
    return word in _PAST or _is_past(word)


def _actions(tokens: Sequence[Token], subjects: frozenset[str]) -> list[int]:
    """Indices of subjects followed (past adverbs) by a past-tense verb."""
    found = []
    for i, token in enumerate(tokens):
        if token.word not in subjects:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].word in _ADVERBS:
            j += 1
        if j < len(tokens) and tokens[j].sentence == token.sentence and _is_past(tokens[j].word):
            found.append(i)
    return found


def analyse_star(
    text: str,
    tokens: Sequence[Token],
    positions: dict[str, list[int]],
    note: str | None,
    listed: Sequence[bool] = (),
) -> StarAnalysis:
    """STAR parts told in sentences; words in bare lists of terms tell no story."""
    in_list = listed or [False] * len(tokens)
    sentences_with: dict[StarName, list[int]] = {}
    for name, cues in _CUE_KEYS.items():
        hits = sorted(r.start for cue in cues for r in find(tokens, positions, cue) if not in_list[r.start])
        sentences_with[name] = hits
    mine = [i for i in _actions(tokens, _I) if not in_list[i]]
    ours = [i for i in _actions(tokens, _WE) if not in_list[i]]
    sentences_with["action"] = sorted(mine or ours)

    evidence: dict[StarName, str] = {}
    for name in STAR_NAMES:
        hits = sentences_with[name]
        if name == "situation":
            # A situation sets the scene near the start: a cue there, or an opening told in
            # the past ("Our data migration was running late.").
            hits = [i for i in hits if tokens[i].sentence <= 2] or [
                i for i, t in enumerate(tokens) if t.sentence <= 1 and _tells_past(t.word) and not in_list[i]
            ][:1]
        if name == "result" and hits:
            hits = [hits[-1]]  # the last result told is the one that ends the story
        evidence[name] = sentence_quote(text, tokens, hits[0]) if hits else ""

    flags: list[StarFlag] = []
    hypothetical = {t.sentence for t in tokens if t.word in _HYPOTHETICAL}
    past = {t.sentence for t in tokens if t.word in _PAST} | {tokens[i].sentence for i in mine + ours}
    # One "I would..." with no past told at all is as hypothetical as several.
    if (hypothetical and not past - hypothetical) or (
        len(hypothetical) >= 2 and len(hypothetical) > len(past)
    ):
        flags.append("hypothetical")
    if ours and not mine and not any(t.word in _ME for t in tokens):
        flags.append("we_only")
    if evidence["result"]:
        result_sentences = {tokens[i].sentence for i in sentences_with["result"]}
        if not any(_QUANTITY.search(_sentence_text(text, tokens, n)) for n in result_sentences):
            flags.append("no_numbers")

    parts = tuple(StarPart(name, evidence[name]) for name in STAR_NAMES)
    weakest = next((name for name in _WEAKEST_FIRST if not evidence[name]), None)
    if weakest is None and "no_numbers" in flags:
        weakest = "result"
    if weakest is None and ("we_only" in flags or "hypothetical" in flags):
        weakest = "action"
    return StarAnalysis(parts, weakest, tuple(flags), note)
