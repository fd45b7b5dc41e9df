"""Which questions an interview asks."""

import random
from collections.abc import Collection

from questions.loader import QuestionBank
from questions.topics import TOPICS


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


def pick_questions(
    bank: QuestionBank,
    count: int,
    topic: str | None,
    answered: Collection[str],
    rng: random.Random,
) -> list[str]:
    """Up to `count` question ids: fresh ones first, mixed across topics unless one is given.

    Mixing deals one question per topic in turn (topics shuffled), so five
    questions span five topics rather than clustering where the bank is largest.
    """
    topics = [topic] if topic else bank.topics()
    pools: dict[str, list[str]] = {}
    for t in topics:
        ids = [q.id for q in bank.by_topic(t)]
        rng.shuffle(ids)
        # Questions never answered come first; stable sort keeps the shuffle within each group.
        ids.sort(key=lambda qid: qid in answered)
        pools[t] = ids
    order = list(topics)
    rng.shuffle(order)
    # Prefer topics that still have fresh questions.
    order.sort(key=lambda t: not pools[t] or pools[t][0] in answered)
    picked: list[str] = []
    while len(picked) < count and any(pools.values()):
        for t in order:
            if pools[t] and len(picked) < count:
                picked.append(pools[t].pop(0))
    return picked
