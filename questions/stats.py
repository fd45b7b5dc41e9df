"""A text table of what a bank holds: per topic, by kind, difficulty, level and interview stage."""

from collections import Counter
from collections.abc import Sequence

from questions.schema import Question
from questions.topics import KINDS, TOPICS

LEVELS = ("coordinator", "project_manager", "senior")
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("total", "total"),
    *((f"kind:{k}", k[:5]) for k in KINDS),
    *((f"difficulty:{d}", f"diff{d}") for d in (1, 2, 3)),
    *(
        (f"level:{lv}", {"coordinator": "coord", "project_manager": "pm", "senior": "senior"}[lv])
        for lv in LEVELS
    ),
    ("stage:opener", "open"),
    ("stage:closer", "close"),
)


def _counts(questions: Sequence[Question]) -> Counter[str]:
    counts: Counter[str] = Counter(total=len(questions))
    for q in questions:
        counts[f"kind:{q.kind}"] += 1
        counts[f"difficulty:{q.difficulty}"] += 1
        counts.update(f"level:{lv}" for lv in set(q.levels))
        if q.stage is not None:
            counts[f"stage:{q.stage}"] += 1
    return counts


def format_stats(questions: Sequence[Question]) -> str:
    """One row per topic plus a total row; a question counts once for each level it suits."""
    rows: list[tuple[str, Counter[str]]] = [
        (name, _counts([q for q in questions if q.topic == slug])) for slug, name in TOPICS.items()
    ]
    rows.append(("All topics", _counts(questions)))
    width = max(len(name) for name, _ in rows)
    header = "Topic".ljust(width) + "".join(f"  {label:>6}" for _, label in _COLUMNS)
    lines = [header, "-" * len(header)]
    for i, (name, counts) in enumerate(rows):
        if i == len(rows) - 1:
            lines.append("-" * len(header))
        lines.append(name.ljust(width) + "".join(f"  {counts[key]:>6}" for key, _ in _COLUMNS))
    lines.append("")
    lines.append(
        "Columns: kind (behav, situa, techn, backg), difficulty 1-3, role level (coord = coordinator, "
        "pm = project manager, senior; a question may suit several levels) and interview stage "
        "(open = openers, close = closers)."
    )
    return "\n".join(lines)
