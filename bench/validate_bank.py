"""How long `questions validate` takes for big generated packs: loading, then near-duplicates.

    .venv/bin/python bench/validate_bank.py [--sizes 1000 2000 30000] [--reference-max 2000]

For each size, writes that many plausible questions (varied texts drawn from a vocabulary of
English words, with a few deliberate near-duplicates planted) as pack files of 500 questions in
a temporary folder, then times what `interview-bot questions validate PACK` does: loading and
checking every file together with the built-in bank (`validate_paths`), then the near-duplicate
check (`near_duplicates`). Printed: seconds for each step and in all, with the goal beside it
(30,000 questions in under 30 s), and how many near-duplicate pairs were found (the planted ones
must be among them).

With --reference-max N, for sizes up to N the near-duplicates are also found by comparing every
pair (the quadratic reference in questions.quality) and the two lists must be equal. Exit status
0 whatever the times (1 only if the findings differ or a planted pair is missed).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from wordfreq import top_n_list  # noqa: E402

from questions import quality  # noqa: E402
from questions.loader import builtin_bank_files, validate_paths  # noqa: E402
from questions.stopwords import STOP_WORDS  # noqa: E402
from questions.topics import TOPICS  # noqa: E402

GOAL_SIZE = 30_000
GOAL_SECONDS = 30.0
PER_FILE = 500
PLANT_EVERY = 1_000  # one deliberate near-duplicate per this many questions

OPENERS = (
    "How do you",
    "How would you",
    "Describe how you would",
    "Tell us how you",
    "Walk me through how you",
    "What steps would you take to",
    "Give an example of how you",
    "What is your approach to",
)
LINKS = ("when", "while", "after", "before", "if", "although", "because", "unless")


def vocabulary() -> list[str]:
    """Content words: English words by frequency rank, without stop words and short ones."""
    words = [w for w in top_n_list("en", 40_000) if w.isalpha() and len(w) > 3 and w not in STOP_WORDS]
    return words[300:20_300]


def question_text(rng: random.Random, words: Sequence[str]) -> str:
    # Skewed draw: the frequent words come up often, the long tail rarely, as in real questions.
    def word() -> str:
        return words[int(len(words) * rng.random() ** 2.5)]

    first = " ".join(word() for _ in range(rng.randint(3, 5)))
    second = " ".join(word() for _ in range(rng.randint(2, 5)))
    return f"{rng.choice(OPENERS)} {first} {rng.choice(LINKS)} the {second}?"


def near_copy(rng: random.Random, text: str) -> str:
    """The same question lightly reworded: a word made plural, or 'the' and 'your' swapped in."""
    words = text.rstrip("?").split()
    i = rng.randrange(3, len(words))
    if rng.random() < 0.5:
        words[i] = words[i] + "s"
    else:
        words.insert(i, "your")
    return " ".join(words) + "?"


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def question_toml(qid: str, topic: str, text: str, words: Sequence[str], rng: random.Random) -> str:
    points = []
    for n in range(4):
        phrase = f"{rng.choice(words)} {rng.choice(words)}"
        points.append(
            f'[[question.talking_points]]\nlabel = "Point {n + 1}"\nmatch = [{toml_string(phrase)}]\n'
        )
    return (
        f"[[question]]\n"
        f'id = "{qid}"\n'
        f'topic = "{topic}"\n'
        f'kind = "situational"\n'
        f"difficulty = {rng.randint(1, 3)}\n"
        f"text = {toml_string(text)}\n"
        f'follow_ups = ["What would you do differently next time?"]\n'
        f'model_answer = ["Agree the goal, name the owner, and review the outcome weekly."]\n\n'
        + "\n".join(points)
        + "\n"
    )


def write_pack(folder: Path, size: int, seed: int) -> list[tuple[str, str]]:
    """`size` questions in files of PER_FILE; returns the planted near-duplicate id pairs."""
    rng = random.Random(seed)
    words = vocabulary()
    topics = list(TOPICS)
    texts: list[str] = []
    planted: list[tuple[str, str]] = []
    for i in range(size):
        if i and i % PLANT_EVERY == PLANT_EVERY // 2:
            j = rng.randrange(len(texts))
            texts.append(near_copy(rng, texts[j]))
            planted.append((f"gen-{j:06d}", f"gen-{i:06d}"))
        else:
            texts.append(question_text(rng, words))
    for start in range(0, size, PER_FILE):
        chunk = [
            question_toml(f"gen-{i:06d}", topics[i % len(topics)], texts[i], words, rng)
            for i in range(start, min(size, start + PER_FILE))
        ]
        (folder / f"pack-{start // PER_FILE:03d}.toml").write_text("\n".join(chunk), encoding="utf-8")
    return planted


def run(sizes: Sequence[int], reference_max: int, seed: int) -> int:
    status = 0
    print(f"{'questions':>9}  {'load s':>7}  {'near-dup s':>10}  {'total s':>8}  {'pairs':>5}  goal")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="validate-bench-") as tmp:
            folder = Path(tmp)
            planted = write_pack(folder, size, seed)
            started = time.perf_counter()
            questions, problems = validate_paths([*builtin_bank_files(), folder])
            loaded = time.perf_counter()
            pairs = quality.near_duplicates(questions)
            finished = time.perf_counter()
        if problems:
            print(f"  {len(problems)} problem(s) in the generated pack, e.g. {problems[0]}", file=sys.stderr)
            status = 1
        found = {(p.first.id, p.second.id) for p in pairs}
        missed = [pair for pair in planted if pair not in found]
        total = finished - started
        goal = f"< {GOAL_SECONDS:.0f} s for {GOAL_SIZE:,}" if size == GOAL_SIZE else ""
        verdict = ("met" if total < GOAL_SECONDS else "NOT met") if size == GOAL_SIZE else ""
        print(
            f"{size:>9,}  {loaded - started:>7.1f}  {finished - loaded:>10.1f}  {total:>8.1f}  "
            f"{len(pairs):>5}  {goal} {verdict}".rstrip()
        )
        if missed:
            print(f"  planted near-duplicates not found: {missed}", file=sys.stderr)
            status = 1
        reference = getattr(quality, "near_duplicates_by_every_pair", None)
        if size <= reference_max and reference is not None:
            started = time.perf_counter()
            expected = reference(questions)
            seconds = time.perf_counter() - started
            same = [(p.first.id, p.second.id, p.ratio) for p in pairs] == [
                (p.first.id, p.second.id, p.ratio) for p in expected
            ]
            print(f"  every pair compared: {seconds:.1f} s, {len(expected)} pairs, same findings: {same}")
            status = status if same else 1
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 2_000, GOAL_SIZE])
    parser.add_argument("--reference-max", type=int, default=0, metavar="N")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    return run(args.sizes, args.reference_max, args.seed)


if __name__ == "__main__":
    sys.exit(main())
