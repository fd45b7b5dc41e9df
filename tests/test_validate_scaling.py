"""`questions validate` at scale: the indexed near-duplicate check finds exactly what comparing
every pair finds, and pack folders are read for regular files only."""

import os
import random
import threading
from pathlib import Path

import pytest

from questions.loader import BankError, QuestionBank, load_bank, validate_paths
from questions.quality import near_duplicates, near_duplicates_by_every_pair
from questions.schema import Question

BASE = {
    "topic": "risk",
    "kind": "technical",
    "difficulty": 1,
    "talking_points": [{"label": "x", "match": ["risk register"]}],
    "follow_ups": ["?"],
    "model_answer": ["."],
}
VALID = """[[question]]
id = "acme-one"
topic = "risk"
kind = "technical"
difficulty = 1
text = "How do you keep a risk register alive?"
follow_ups = ["Why?"]
model_answer = ["Review it weekly."]

[[question.talking_points]]
label = "Review"
match = ["weekly review"]
"""


def question(qid: str, text: str) -> Question:
    return Question.model_validate({**BASE, "id": qid, "text": text})


def reworded(rng: random.Random, text: str) -> str:
    """The kinds of edits that make a near-duplicate: a plural, a typo, a word added or dropped,
    a word swapped for a neighbour, a question reworded at its start."""
    words = text.rstrip("?").split()
    i = rng.randrange(len(words))
    match rng.randrange(6):
        case 0:
            words[i] += "s"
        case 1:
            word = words[i]
            if len(word) > 3:
                j = rng.randrange(1, len(word) - 1)
                words[i] = word[:j] + word[j + 1 :]
        case 2:
            words.insert(i, rng.choice(["really", "usually", "new", "whole"]))
        case 3:
            if len(words) > 4:
                del words[i]
        case 4:
            j = min(i + 1, len(words) - 1)
            words[i], words[j] = words[j], words[i]
        case _:
            words[:2] = ["How", "would", "you"]
    return " ".join(words) + "?"


def ids(pairs: list) -> list[tuple[str, str, float]]:  # type: ignore[type-arg]
    return [(p.first.id, p.second.id, p.ratio) for p in pairs]


def test_the_index_finds_what_every_pair_finds_on_the_bank_and_reworded_copies(bank: QuestionBank) -> None:
    rng = random.Random(15)
    originals = list(bank.questions)
    copies = [
        question(f"copy-{n}", reworded(rng, reworded(rng, q.text)) if n % 2 else reworded(rng, q.text))
        for n, q in enumerate(originals[::2])
    ]
    questions = originals + copies
    rng.shuffle(questions)

    expected = near_duplicates_by_every_pair(questions)

    assert ids(near_duplicates(questions)) == ids(expected)
    # The copies make real near-duplicates, so the comparison is not between two empty lists.
    assert len(expected) >= len(copies) // 2
    assert ids(near_duplicates(bank.questions)) == ids(near_duplicates_by_every_pair(bank.questions))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Only stop words: both normalise to nothing, which difflib calls 100% alike.
        ("What would you do?", "What did you do then?"),
        # One word each, a typo in its first letters: no stem in common, found by length.
        ("What motivates you?", "What mtivates you?"),
        ("Stakeholders?", "Stakeholder?"),
        # Two words, an inflection on each: the stems still match.
        ("How do you prioritise stakeholders?", "How would you prioritize stakeholder?"),
        # Several edits at once (a word added, typos): two of five stems shared, 40%.
        ("Describe your experience in this industry.", "really Describe eperience ins this industry?"),
    ],
)
def test_short_questions_are_compared_too(first: str, second: str) -> None:
    questions = [
        question("a1", first),
        question("b1", "Tell us about a budget overrun."),
        question("c1", second),
    ]
    expected = near_duplicates_by_every_pair(questions)
    assert [(p.first.id, p.second.id) for p in expected] == [("a1", "c1")]
    assert ids(near_duplicates(questions)) == ids(expected)


def test_a_looser_threshold_compares_every_pair() -> None:
    questions = [
        question(f"q{n}", text) for n, text in enumerate(["Plan a sprint.", "Plan the budget.", "Sprint?"])
    ]
    for threshold in (0.3, 0.5, 0.7):
        assert ids(near_duplicates(questions, threshold)) == ids(
            near_duplicates_by_every_pair(questions, threshold)
        )


def validate_without_hanging(paths: list[Path], fifo: Path) -> tuple[list[Question], list]:  # type: ignore[type-arg]
    """validate_paths in a thread; if it blocks on the pipe, a writer releases it and the test fails."""
    result: list[tuple[list[Question], list]] = []  # type: ignore[type-arg]
    worker = threading.Thread(target=lambda: result.append(validate_paths(paths)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # lets the blocked read end
        worker.join(30)
        pytest.fail("validate_paths opened a named pipe and blocked on it")
    return result[0]


def test_a_named_pipe_in_a_pack_folder_is_reported_and_never_opened(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "a.toml").write_text(VALID, encoding="utf-8")
    fifo = pack / "x.toml"
    os.mkfifo(fifo)
    (pack / "folder.toml").mkdir()

    questions, problems = validate_without_hanging([pack], fifo)

    assert [q.id for q in questions] == ["acme-one"]
    assert [(p.file, p.line) for p in problems] == [(str(pack / "folder.toml"), 0), (str(fifo), 0)]
    assert all("not a regular file" in p.message for p in problems)
    # Named on its own, it is reported the same way; the bot does not start with it.
    _, alone = validate_without_hanging([fifo], fifo)
    assert [(p.file, p.line, "not a regular file" in p.message) for p in alone] == [(str(fifo), 0, True)]
    with pytest.raises(BankError, match="not a regular file"):
        load_bank([pack])
