"""The question bank: the built-in files load cleanly, and broken packs are reported by file and line."""

import re
from importlib.resources import files
from pathlib import Path
from textwrap import dedent

import pytest

from questions.loader import BankError, Problem, QuestionBank, builtin_bank_files, load_bank, validate_paths
from questions.topics import KINDS, TOPICS

REQUIRED_QUESTIONS = {
    "How would you begin implementing a new cloud service in a large company?": "cloud",
    "How would you ensure a new service was compatible with all others?": "integration",
    "Tell us about your experience with systems integrations.": "integration",
    "What's your experience with Agile?": "agile",
    "Describe your experience in this industry.": "background",
}

VALID_QUESTION = """\
[[question]]
id = "{id}"
topic = "cloud"
kind = "technical"
difficulty = 2
text = "How would you size a landing zone?"
follow_ups = ["Who owns it?"]
model_answer = ["Start from the workloads."]

[[question.talking_points]]
label = "Workload inventory"
match = ["inventory", "workloads"]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


# --- The built-in bank -------------------------------------------------------------------


def test_builtin_bank_loads_without_problems() -> None:
    questions, problems = validate_paths(builtin_bank_files())
    assert problems == []
    assert len(questions) >= 36


def test_builtin_bank_has_one_file_per_topic() -> None:
    assert [path.stem for path in builtin_bank_files()] == sorted(TOPICS)


def test_builtin_bank_covers_every_topic() -> None:
    bank = load_bank()
    assert bank.topics() == list(TOPICS)
    for topic in TOPICS:
        assert len(bank.by_topic(topic)) >= 2, topic
        assert {question.topic for question in bank.by_topic(topic)} == {topic}


@pytest.mark.parametrize(("text", "topic"), REQUIRED_QUESTIONS.items())
def test_builtin_bank_has_the_required_questions_word_for_word(text: str, topic: str) -> None:
    matches = [question for question in load_bank().questions if question.text == text]
    assert [question.topic for question in matches] == [topic]


def test_builtin_bank_mixes_kinds_and_difficulties() -> None:
    questions = load_bank().questions
    assert {question.kind for question in questions} == set(KINDS)
    assert {question.difficulty for question in questions} == {1, 2, 3}


def test_builtin_questions_follow_the_house_style() -> None:
    # The schema only demands "at least one"; these are the editorial rules for our own bank.
    faults: list[str] = []
    for question in load_bank().questions:
        checks = {
            "4-7 talking points": 4 <= len(question.talking_points) <= 7,
            "1-3 follow-ups": 1 <= len(question.follow_ups) <= 3,
            "3-6 model answer lines": 3 <= len(question.model_answer) <= 6,
            "levels and skills": bool(question.levels) and bool(question.skills),
            "star note exactly on behavioural questions": (question.kind == "behavioural")
            == (question.star is not None),
            "slug starts with its topic": question.id.startswith(f"{question.topic}-"),
        }
        for point in question.talking_points:
            checks[f"{point.label!r}: 2-5 word label"] = 2 <= len(re.findall(r"[\w']+", point.label)) <= 5
            checks[f"{point.label!r}: 5-12 match phrases"] = 5 <= len(point.match) <= 12
        faults += [f"{question.id}: {rule}" for rule, ok in checks.items() if not ok]
    assert faults == []


# --- Broken files: each problem names the file and the line to fix -----------------------

# Each case is a whole file; "# <-" marks the line the problem must point at.
BROKEN_FILES = {
    "unparseable TOML": (
        """\
        [[question]]
        id = "acme-broken"
        text = "an unclosed string  # <-
        """,
        "invalid TOML",
    ),
    "unknown topic": (
        """\
        [[question]]
        id = "acme-topic"
        topic = "agil"  # <-
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-topic': topic: unknown topic 'agil'; known topics: cloud, agile,",
    ),
    "unknown kind": (
        """\
        [[question]]
        id = "acme-kind"
        topic = "risk"
        kind = "story"  # <-
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-kind': kind: unknown kind 'story'; known kinds: behavioural,",
    ),
    "empty text": (
        """\
        [[question]]
        id = "acme-text"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "   "  # <-
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-text': text: must not be empty",
    ),
    "talking point with an empty match list": (
        """\
        [[question]]
        id = "acme-match"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]

        [[question.talking_points]]
        label = "Evidence"
        match = []  # <-
        """,
        "question 'acme-match': talking point 2: match: must not be empty",
    ),
    "talking point whose only phrase is blank": (
        """\
        [[question]]
        id = "acme-blank"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = [
            "  ",  # <-
        ]
        """,
        "question 'acme-blank': talking point 1: match phrase 1: must not be empty",
    ),
    "inline talking point with an empty match list": (
        """\
        [[question]]
        id = "acme-inline"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]
        talking_points = [
            { label = "Reasons", match = ["rationale"] },
            { label = "Evidence", match = [] },  # <-
        ]
        """,
        "question 'acme-inline': talking point 2: match: must not be empty",
    ),
    "unknown key": (
        """\
        [[question]]
        id = "acme-key"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]
        colour = "blue"  # <-

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-key': unknown key 'colour'; allowed keys: id, topic,",
    ),
    "unknown key in a talking point": (
        """\
        [[question]]
        id = "acme-point-key"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        weight = 2  # <-
        """,
        "question 'acme-point-key': talking point 1: unknown key 'weight'; allowed keys: label, match",
    ),
    "difficulty out of range": (
        """\
        [[question]]
        id = "acme-hard"
        topic = "risk"
        kind = "technical"
        difficulty = 4  # <-
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-hard': difficulty: must be at most 3, got 4",
    ),
    "wrong type": (
        """\
        [[question]]
        id = "acme-type"
        topic = "risk"
        kind = "technical"
        difficulty = "2"  # <-
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-type': difficulty: expected a whole number, got text",
    ),
    "missing key, reported at the header of the second question": (
        """\
        [[question]]
        id = "acme-first"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]

        [[question]]  # <-
        id = "acme-second"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-second': missing required key 'text'",
    ),
    "a key that looks like a key inside a multi-line string is not a key": (
        """\
        [[question]]
        id = "acme-multiline"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = \"\"\"
        colour = "this line is part of the text"
        \"\"\"
        follow_ups = ["Why not?"]
        model_answer = ["Because."]
        colour = "blue"  # <-

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-multiline': unknown key 'colour'",
    ),
    "unknown stage": (
        """\
        [[question]]
        id = "acme-stage"
        topic = "background"
        kind = "background"
        difficulty = 1
        text = "Why?"
        stage = "warm-up"  # <-
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-stage': stage: unknown stage 'warm-up'; known stages: opener, closer",
    ),
    "a coordinator's question of difficulty 3": (
        """\
        [[question]]
        id = "acme-coordinator-hard"
        topic = "risk"
        kind = "technical"
        difficulty = 3
        text = "Why?"
        levels = ["coordinator", "project_manager"]  # <-
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-coordinator-hard': levels: a question for coordinators must have difficulty 1 or 2",
    ),
    "a senior-only question of difficulty 1": (
        """\
        [[question]]
        id = "acme-senior-easy"
        topic = "risk"
        kind = "technical"
        difficulty = 1
        text = "Why?"
        levels = ["senior"]  # <-
        follow_ups = ["Why not?"]
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
        "question 'acme-senior-easy': levels: a question only for seniors must have difficulty 2 or 3",
    ),
    "not [[question]] tables": (
        """\
        title = "My pack"  # <-
        """,
        "unknown top-level key 'title'; a bank file holds only [[question]] tables",
    ),
    "question as a plain value": (
        """\
        question = "How would you plan a migration?"  # <-
        """,
        "'question' must be a list of tables",
    ),
    "empty file": (
        """\
        # just a comment  # <-
        """,
        "no questions",
    ),
}


@pytest.mark.parametrize(("text", "expected"), BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_broken_file_reports_the_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "pack.toml", text)
    marked_line = next(n for n, line in enumerate(dedent(text).splitlines(), start=1) if "# <-" in line)

    _, problems = validate_paths([path])

    assert [(problem.file, problem.line) for problem in problems] == [(str(path), marked_line)]
    assert expected in problems[0].message


@pytest.mark.parametrize(
    ("levels", "difficulty"),
    [
        (["coordinator"], 1),
        (["coordinator", "project_manager", "senior"], 2),
        (["project_manager"], 3),
        (["project_manager", "senior"], 1),
        (["senior"], 2),
        (["senior"], 3),
        ([], 3),
    ],
)
def test_levels_that_fit_the_difficulty_load(tmp_path: Path, levels: list[str], difficulty: int) -> None:
    levels_line = "levels = [" + ", ".join(f'"{level}"' for level in levels) + "]"
    text = VALID_QUESTION.format(id="acme-fit").replace(
        "difficulty = 2", f"difficulty = {difficulty}\n{levels_line}"
    )
    pack = write(tmp_path, "pack.toml", text)
    questions, problems = validate_paths([pack])
    assert problems == []
    assert (questions[0].levels, questions[0].difficulty) == (levels, difficulty)


@pytest.mark.parametrize("stage", ["opener", "closer", None])
def test_stage_is_optional_and_kept(tmp_path: Path, stage: str | None) -> None:
    text = VALID_QUESTION.format(id="acme-stage")
    if stage is not None:
        text = text.replace('text = "How', f'stage = "{stage}"\ntext = "How')
    questions, problems = validate_paths([write(tmp_path, "pack.toml", text)])
    assert problems == []
    assert questions[0].stage == stage


def test_every_problem_in_a_file_is_reported_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pack.toml",
        """\
        [[question]]
        id = "acme-many"
        topic = "agil"
        kind = "story"
        difficulty = 0
        text = ""
        follow_ups = []
        model_answer = ["Because."]

        [[question.talking_points]]
        label = "Reasons"
        match = ["rationale"]
        """,
    )
    _, problems = validate_paths([path])
    assert [problem.line for problem in problems] == [3, 4, 5, 6, 7]


def test_duplicate_id_across_two_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", VALID_QUESTION.format(id="acme-dup"))
    second = write(tmp_path, "b.toml", "# Copied from a.toml\n" + VALID_QUESTION.format(id="acme-dup"))

    questions, problems = validate_paths([first, second])

    assert [question.id for question in questions] == ["acme-dup"]
    message = f"question 'acme-dup': duplicate id; first defined at {first}:2"
    assert problems == [Problem(str(second), 3, message)]


def test_duplicate_of_a_builtin_id_stops_load_bank(tmp_path: Path) -> None:
    pack = write(tmp_path, "pack.toml", VALID_QUESTION.format(id="cloud-begin-implementation"))
    with pytest.raises(BankError) as raised:
        load_bank([pack])
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(pack), 2)
    assert "duplicate id" in problem.message


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert validate_paths([missing]) == ([], [Problem(str(missing), 0, "no such file or directory")])


def test_directory_means_its_toml_files(tmp_path: Path) -> None:
    write(tmp_path, "b.toml", VALID_QUESTION.format(id="acme-b"))
    write(tmp_path, "a.toml", VALID_QUESTION.format(id="acme-a"))
    write(tmp_path, "notes.txt", "not a bank file")

    questions, problems = validate_paths([tmp_path])

    assert problems == []
    assert [question.id for question in questions] == ["acme-a", "acme-b"]


def test_a_file_listed_twice_is_loaded_once(tmp_path: Path) -> None:
    pack = write(tmp_path, "pack.toml", VALID_QUESTION.format(id="acme-once"))
    questions, problems = validate_paths([pack, tmp_path])
    assert problems == []
    assert len(questions) == 1


# --- Loading the bank ---------------------------------------------------------------------


def test_user_pack_loads_alongside_the_builtin_bank(tmp_path: Path) -> None:
    pack = write(tmp_path, "my-pack.toml", VALID_QUESTION.format(id="acme-landing-zone"))
    builtin = load_bank()

    bank = load_bank([pack])

    assert len(bank) == len(builtin) + 1
    assert bank.by_id["acme-landing-zone"].text == "How would you size a landing zone?"
    assert bank.by_topic("cloud")[-1].id == "acme-landing-zone"
    assert bank.questions[: len(builtin)] == builtin.questions


def test_bank_error_lists_every_problem(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    broken = write(tmp_path, "broken.toml", VALID_QUESTION.format(id="acme-x").replace('"cloud"', '"clod"'))

    with pytest.raises(BankError) as raised:
        load_bank([missing, broken])

    assert [(problem.file, problem.line) for problem in raised.value.problems] == [
        (str(missing), 0),
        (str(broken), 3),
    ]
    assert str(raised.value) == "\n".join(str(problem) for problem in raised.value.problems)
    first, second = str(raised.value).splitlines()
    assert first == f"{missing}:0: no such file or directory"
    assert second.startswith(f"{broken}:3: question 'acme-x': topic: unknown topic 'clod'")


def test_question_bank_rejects_duplicate_ids() -> None:
    question = load_bank().questions[0]
    with pytest.raises(ValueError, match="unique"):
        QuestionBank((question, question))


def test_readme_example_is_a_valid_pack(tmp_path: Path) -> None:
    readme = (files("questions") / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(\[\[question\]\].*?)```", readme, re.DOTALL)
    assert example is not None
    pack = write(tmp_path, "example.toml", example[1])

    questions, problems = validate_paths([pack])

    assert problems == []
    assert len(questions) == 1
