"""Which follow-up a mock interviewer asks after an answer that left something out.

An answer is probed when, for a behavioural question, its story has no result or no action of
the candidate's own (only "we", or what they *would* do), or when it covers less than
WEAK_SHARE of the question's talking points. The probe is the bank follow-up that best targets
what was missed: each follow-up's content words (lemma keys; stop words and everyday words left
out) are matched against the missing STAR part's cue words (weight 2), or else against the
missed points' labels and match phrases (weight 2) and hints (weight 1); the best with a score
of at least MIN_SCORE wins, the bank's order breaking ties. When no follow-up targets the gap,
the probe is built for it: the result, the candidate's own part, or the first missed talking
point. The front ends word built probes (templates); this module only says which one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from bot.core.feedback import Feedback
from bot.core.feedback.text import tokenize
from questions.schema import Question
from questions.stopwords import STOP_WORDS, zipf

ProbeKind = Literal["bank", "result", "action", "point"]

# Below this share of talking points covered, a missed point is worth a follow-up.
WEAK_SHARE: Final = 0.75
# A bank follow-up must share this much weight with what was missed to be chosen.
MIN_SCORE: Final = 2
# Words at least this frequent in English (Zipf scale: "one" 6.5, "people" 6.2, "team" 5.6) say
# nothing about a gap; "manager" (4.9), "sponsor" (3.8) and "retro" stay.
EVERYDAY_ZIPF: Final = 5.5
# Domain words nearly every follow-up and point contains: they say nothing about the gap.
_GENERIC: Final = frozenset({"project", "team", "work", "time", "thing", "way"})
# Words of a follow-up that asks for the story's result, or for the candidate's own part.
_RESULT_CUES: Final = ("result", "outcome", "measure", "impact", "metric", "number", "achieve")
_ACTION_CUES: Final = ("yourself", "personally", "own role", "your part", "you do")


@dataclass(frozen=True, slots=True)
class Probe:
    """One follow-up: a bank follow-up (its text), or one built for a STAR part or a point."""

    kind: ProbeKind
    # bank: the follow-up as the bank words it; point: the missed point's label; else "".
    text: str = ""

    def stored(self) -> str:
        """The form kept in the database (interview_session.probe, answer.probe)."""
        return f"{self.kind}:{self.text}" if self.text else self.kind

    @classmethod
    def parse(cls, stored: str | None) -> "Probe | None":
        """The probe a stored form stands for; None for nothing or an unknown form."""
        if not stored:
            return None
        kind, _, text = stored.partition(":")
        if kind in ("bank", "point") and text:
            return cls(kind, text)  # type: ignore[arg-type]
        if kind in ("result", "action") and not text:
            return cls(kind)  # type: ignore[arg-type]
        return None


def _keys(text: str) -> set[str]:
    """Content keys: no stop words, no everyday words ("one", "people"), no generic domain words."""
    return {
        t.key
        for t in tokenize(text)
        if t.word not in STOP_WORDS and t.key not in _GENERIC and zipf(t.word) < EVERYDAY_ZIPF
    }


def _weigh(targets: dict[str, int], texts: Iterable[str], weight: int) -> None:
    for text in texts:
        for k in _keys(text):
            targets[k] = max(targets.get(k, 0), weight)


def star_gap(question: Question, feedback: Feedback) -> Literal["result", "action"] | None:
    """The part of a behavioural story worth probing: no result first, then no own action."""
    star = feedback.star
    if question.kind != "behavioural" or star is None:
        return None
    present = star.present
    if "result" not in present:
        return "result"
    if "action" not in present or "we_only" in star.flags or "hypothetical" in star.flags:
        return "action"
    return None


def missed_points(question: Question, feedback: Feedback) -> list[int]:
    """Indexes of the talking points worth a follow-up (none when the answer covered enough)."""
    total = len(question.talking_points)
    if not total or len(feedback.covered) >= WEAK_SHARE * total:
        return []
    return [i for i in range(total) if i not in feedback.covered]


def choose_probe(question: Question, feedback: Feedback) -> Probe | None:
    """The follow-up to ask after this answer, or None when nothing important was left out.

    A story's missing result or own action comes first: interviewers probe those before any
    talking point, and a bank follow-up is taken for it only if it asks for that part.
    """
    if not question.text:  # a question removed from the bank since
        return None
    targets: dict[str, int] = {}
    gap = star_gap(question, feedback)
    if gap is not None:
        _weigh(targets, _RESULT_CUES if gap == "result" else _ACTION_CUES, 2)
        return _best_follow_up(question, targets) or Probe(gap)
    missed = missed_points(question, feedback)
    if not missed:
        return None
    for i in missed:
        point = question.talking_points[i]
        _weigh(targets, [point.label, *point.match], 2)
        if point.hint:
            _weigh(targets, [point.hint], 1)
    return _best_follow_up(question, targets) or Probe("point", question.talking_points[missed[0]].label)


def _best_follow_up(question: Question, targets: dict[str, int]) -> Probe | None:
    """The bank follow-up sharing the most weight with `targets` (at least MIN_SCORE)."""
    best: tuple[int, str] | None = None
    for follow_up in question.follow_ups:
        score = sum(targets.get(k, 0) for k in _keys(follow_up))
        if score >= MIN_SCORE and (best is None or score > best[0]):
            best = (score, follow_up)
    return Probe("bank", best[1]) if best is not None else None
