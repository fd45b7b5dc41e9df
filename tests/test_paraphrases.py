"""The bank hears talking points however a candidate words them.

tests/data/paraphrases/ holds, for every talking point of the shipped bank, three sentences a
candidate might say to affirm it, written without seeing the match phrases. The first two of
each point are the tuning part (phrases may be broadened against them); the third is held
out and only measured here. Run with -s to see both recalls.
"""

import tomllib
from functools import cache
from pathlib import Path

from bot.core.feedback import FeedbackMatcher
from questions.loader import QuestionBank, load_bank

PARAPHRASES = Path(__file__).parent / "data" / "paraphrases"
# Floors under the figures measured after the bank's phrases were broadened against the tuning
# part (99.6% and 45.4%, from 67.6% and 42.8% before); printed with -s.
TUNING_RECALL = 0.97
HELD_OUT_RECALL = 0.43


@cache
def bank() -> QuestionBank:
    return load_bank([])


def sentences() -> list[tuple[str, int, str, bool]]:
    """(question id, point index, sentence, held out) for every paraphrase."""
    found: list[tuple[str, int, str, bool]] = []
    for path in sorted(PARAPHRASES.glob("*.toml")):
        for entry in tomllib.loads(path.read_text(encoding="utf-8"))["question"]:
            question = bank().by_id[entry["id"]]
            labels = [tp.label for tp in question.talking_points]
            for point in entry["point"]:
                index = labels.index(point["label"])
                for n, said in enumerate(point["says"]):
                    found.append((question.id, index, said, n == 2))
    return found


def recall(held_out: bool, topics: frozenset[str] = frozenset()) -> tuple[float, int, list[str]]:
    """Share of the part's sentences that tick their point (only `topics` when given)."""
    matcher = FeedbackMatcher(bank().questions)
    hits, total, misses = 0, 0, []
    for qid, index, said, is_held_out in sentences():
        if is_held_out != held_out or (topics and bank().by_id[qid].topic not in topics):
            continue
        total += 1
        if index in matcher.assess(bank().by_id[qid], said).covered:
            hits += 1
        else:
            misses.append(f"{qid} #{index}: {said}")
    return hits / total, total, misses


def test_every_shipped_point_has_paraphrases() -> None:
    covered = {(qid, index) for qid, index, _, _ in sentences()}
    expected = {(q.id, i) for q in bank().questions for i in range(len(q.talking_points))}
    assert covered == expected


def test_tuning_paraphrases_are_heard() -> None:
    share, total, misses = recall(held_out=False)
    print(f"\nparaphrases, tuning part: {share:.1%} of {total} sentences tick their point")
    assert share >= TUNING_RECALL, "\n".join(misses[:40])


def test_held_out_paraphrases_are_heard() -> None:
    share, total, _ = recall(held_out=True)
    print(f"\nparaphrases, held-out part: {share:.1%} of {total} sentences tick their point")
    assert share >= HELD_OUT_RECALL


if __name__ == "__main__":
    # python -m tests.test_paraphrases [TOPIC ...]: recall of both parts, and the tuning misses.
    import sys

    chosen = frozenset(sys.argv[1:])
    tuning, total, misses = recall(False, chosen)
    print("\n".join(misses))
    print(f"tuning: {tuning:.1%} of {total}")
    held_out, total, _ = recall(True, chosen)
    print(f"held-out: {held_out:.1%} of {total}")
