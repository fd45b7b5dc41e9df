"""`interview-bot questions try`: the stable scripting interface to the feedback engine."""

import io
import json

import pytest

from bot.__main__ import main

QUESTION = "cloud-begin-implementation"
KEYWORDS = (
    "Business case, stakeholders, current state, security, compliance, pilot, AWS, Azure, "
    "landing zone, training, adoption, change management."
)
GOOD = (
    "I would start from the business case: what problem we are trying to solve and the success criteria, "
    "agreed with an executive sponsor. I'd map the current landscape and bring security and compliance in "
    "early. I would not bother with a pilot."
)


def run(
    argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["questions", "try", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_plain_text_feedback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([QUESTION], GOOD, monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"{QUESTION} — 4 of 7 talking points covered · 42 words")
    assert "✅ Business case and goals — “start from the business case”" in out
    assert "✖️ Pilot before scaling: you said you wouldn't — “not bother with a pilot”" in out
    assert "▫️ Training and adoption: Roll out in waves" in out  # the hint from the model answer
    assert "Suggested: Hard — 4 of 7 points, good practice dismissed, short" in out
    assert "<b>" not in out


def test_json_has_the_stable_fields(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([QUESTION, "--json"], KEYWORDS, monkeypatch, capsys)
    assert code == 0
    [line] = out.splitlines()
    result = json.loads(line)
    assert result["question_id"] == QUESTION
    assert result["total"] == 7
    assert result["covered"] == []
    assert {"label": "Business case and goals", "reason": "list"} in result["not_counted"]
    assert result["suggested_rating"] == {"rating": "again", "reasons": ["points", "listed", "too_short"]}
    assert result["signals"]["length"] == "short"


def test_jsonl_answers_line_by_line_and_survives_bad_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"question_id": QUESTION, "answer": GOOD}),
        "{not json",
        json.dumps({"question_id": "no-such-question", "answer": "x"}),
        json.dumps({"question_id": QUESTION}),
        "",
        json.dumps({"question_id": QUESTION, "answer": KEYWORDS}),
    ]
    code, out, err = run(["--jsonl"], "\n".join(lines) + "\n", monkeypatch, capsys)
    assert code == 1  # some lines failed
    results = [json.loads(line) for line in out.splitlines()]
    assert [r.get("error", "ok").split(":")[0] for r in results] == [
        "ok",
        "not a valid request",
        "unknown question id",
        "not a valid request",
        "ok",
    ]
    assert [r["line"] for r in results if "error" in r] == [2, 3, 4]
    assert results[0]["covered"] == [
        "Business case and goals",
        "Sponsor and stakeholders",
        "Current-state assessment",
        "Security and compliance",
    ]
    assert results[0]["not_counted"] == [{"label": "Pilot before scaling", "reason": "negated"}]
    assert results[-1]["covered"] == []
    assert err.count("interview-bot: line ") == 3


def test_unknown_id_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["nope"], "answer", monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert err == "interview-bot: unknown question id 'nope'\n"


def test_an_id_or_jsonl_is_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([], "", monkeypatch, capsys)[0] == 2
    assert run([QUESTION, "--jsonl"], "", monkeypatch, capsys)[0] == 2
