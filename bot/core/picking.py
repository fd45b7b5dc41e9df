"""Which questions an interview asks.

A full interview has the shape of a real one: a warm-up opener (a background question the bank
marks `stage = "opener"`), questions that grow harder, and a closing question (`stage =
"closer"`). A topic interview stays on its topic, easiest first. The user's level decides
which questions fit (`fit`), and a job ad's topic weights make its topics likelier.
"""

import random
from collections.abc import Collection, Mapping, Sequence
from typing import Final, Literal, get_args

from questions.loader import QuestionBank
from questions.schema import Level, Question
from questions.topics import TOPICS

LEVELS: Final[tuple[Level, ...]] = get_args(Level)
# Stored when the user pressed "Skip": picking stays as it was, and they are not asked again.
SKIPPED: Final = "any"

# Where each level fills up from when its own questions run short: nearest first.
_NEAREST: Final[dict[Level, tuple[Level, ...]]] = {
    "coordinator": ("coordinator", "project_manager", "senior"),
    "project_manager": ("project_manager", "coordinator", "senior"),
    "senior": ("senior", "project_manager", "coordinator"),
}
# A coordinator never meets a difficulty-3 (senior panel) question, even as a fill-up.
_HARDEST: Final[dict[Level, int]] = {"coordinator": 2, "project_manager": 3, "senior": 3}

Stage = Literal["opener", "closer"]


def stored_level(value: str | None) -> Level | None:
    """A level read from storage; "any", None and unknown values mean no level."""
    return next((level for level in LEVELS if level == value), None)


def fit(question: Question, level: Level | None) -> int | None:
    """How well a question suits a level: 0 is the level's own, higher is further away; None
    for a question the level must never get. Without a level (or for a question that names no
    levels, as in an extra pack) every question fits."""
    if level is None:
        return 0
    if question.difficulty > _HARDEST[level]:
        return None
    if not question.levels:
        return 0
    return min(_NEAREST[level].index(lv) for lv in question.levels)


def resolve_topic(bank: QuestionBank, arg: str) -> str | None:
    """Map what a user typed ("agile", "Risk", "cloud migration") to a topic slug."""
    wanted = " ".join(arg.casefold().replace("_", " ").replace("-", " ").split())
    if not wanted:
        return None
    available = bank.topics()
    for slug in available:
        if wanted == slug or wanted == TOPICS[slug].casefold():
            return slug
    starts = [s for s in available if s.startswith(wanted) or TOPICS[s].casefold().startswith(wanted)]
    if len(starts) == 1:
        return starts[0]
    contains = [s for s in available if wanted in TOPICS[s].casefold()]
    return contains[0] if len(contains) == 1 else None


def weighted_order(items: Sequence[str], weights: Mapping[str, int] | None, rng: random.Random) -> list[str]:
    """`items` in a random order where an item of weight w comes early w times as readily.

    Without weights this is rng.shuffle, so seeded picks stay what they were. With weights it
    is weighted sampling without replacement (Efraimidis and Spirakis: sort by u ** (1 / w)).
    """
    order = list(items)
    if not weights:
        rng.shuffle(order)
        return order
    keys = {item: rng.random() ** (1 / max(1, weights.get(item, 1))) for item in order}
    order.sort(key=lambda item: keys[item], reverse=True)
    return order


def weighted_choice(
    questions: Sequence[Question], weights: Mapping[str, int] | None, rng: random.Random
) -> Question:
    """One question; with weights, its topic is drawn first, each topic as likely as its weight."""
    if not weights:
        return rng.choice(questions)
    topics = sorted({q.topic for q in questions})
    [topic] = rng.choices(topics, [max(1, weights.get(t, 1)) for t in topics])
    return rng.choice([q for q in questions if q.topic == topic])


def _ranked(
    questions: Collection[Question], answered: Collection[str], level: Level | None, rng: random.Random
) -> list[Question]:
    """The questions the level may get: its own first, then the nearest level's; never answered
    before answered; shuffled within each group."""
    fitting = [(q, f) for q in questions if (f := fit(q, level)) is not None]
    rng.shuffle(fitting)
    fitting.sort(key=lambda pair: (pair[1], pair[0].id in answered))  # stable: keeps the shuffle
    return [q for q, _ in fitting]


def _staged(
    bank: QuestionBank, stage: Stage, answered: Collection[str], level: Level | None, rng: random.Random
) -> Question | None:
    ranked = _ranked([q for q in bank.questions if q.stage == stage], answered, level, rng)
    return ranked[0] if ranked else None


def _deal(
    bank: QuestionBank,
    topics: Sequence[str],
    count: int,
    answered: Collection[str],
    rng: random.Random,
    level: Level | None,
    weights: Mapping[str, int] | None,
) -> list[Question]:
    """Up to `count` questions, one per topic in turn (topics in a weighted random order), so
    five questions span five topics rather than clustering where the bank is largest."""
    pools = {
        t: _ranked([q for q in bank.by_topic(t) if q.stage is None], answered, level, rng) for t in topics
    }
    order = weighted_order(topics, weights, rng)
    # Prefer topics that still have fresh questions (stable: keeps the weighted order).
    order.sort(key=lambda t: not pools[t] or pools[t][0].id in answered)
    picked: list[Question] = []
    while len(picked) < count and any(pools.values()):
        for t in order:
            if pools[t] and len(picked) < count:
                picked.append(pools[t].pop(0))
    return picked


def pick_questions(
    bank: QuestionBank,
    count: int,
    topic: str | None,
    answered: Collection[str],
    rng: random.Random,
    *,
    level: Level | None = None,
    weights: Mapping[str, int] | None = None,
) -> list[str]:
    """Up to `count` question ids: fresh ones first, for the level, easiest first.

    Without a topic it is a full interview: an opener first (from two questions on) and a
    closer last (from three on) where the bank has them, and the questions between mixed
    across topics, weighted toward `weights`. With a topic, only that topic's questions, no
    opener or closer.
    """
    if topic is not None:
        middle = _deal(bank, [topic], count, answered, rng, level, None)
        return [q.id for q in sorted(middle, key=lambda q: q.difficulty)]
    opener = _staged(bank, "opener", answered, level, rng) if count >= 2 else None
    closer = _staged(bank, "closer", answered, level, rng) if count >= 3 else None
    room = count - (opener is not None) - (closer is not None)
    # The opener and closer cover the background; the questions between cover the rest.
    staged_topics = {q.topic for q in (opener, closer) if q is not None}
    topics = [t for t in bank.topics() if t not in staged_topics] or bank.topics()
    middle = _deal(bank, topics, room, answered, rng, level, weights)
    # Difficulty rises through the interview (stable sort: equal ones keep the topic mix).
    middle.sort(key=lambda q: q.difficulty)
    shaped = ([opener] if opener else []) + middle + ([closer] if closer else [])
    return [q.id for q in shaped]
