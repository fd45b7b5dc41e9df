"""The feedback engine piece by piece: tables of answers and what each piece must make of them."""

import json

import pytest

from bot.core.feedback import Feedback, FeedbackMatcher, next_focus, tone
from bot.core.feedback.matching import find, index_keys, listed_tokens, mention, negation_marks
from bot.core.feedback.model import PointResult, Signals, StarAnalysis, StarPart
from bot.core.feedback.signals import Glossary, analyse_signals
from bot.core.feedback.star import analyse_star
from bot.core.feedback.stored import from_stored, to_stored
from bot.core.feedback.suggest import suggest
from bot.core.feedback.text import key, normalise, phrase_keys, tokenize
from bot.core.rating import Rating
from questions.schema import Question, TalkingPoint


def status_of(answer: str, phrase: str) -> str:
    """How `phrase` is mentioned in `answer`: affirmed, negated, listed, or absent."""
    tokens = tokenize(answer)
    hits = find(tokens, index_keys(tokens), phrase_keys(phrase))
    if not hits:
        return "absent"
    marks, listed = negation_marks(tokens, answer), listed_tokens(answer, tokens)
    kinds = {mention(tokens, marks, listed, hit) for hit in hits}
    return next(k for k in ("affirmed", "negated", "listed") if k in kinds)


@pytest.mark.parametrize(
    ("answer", "phrase", "expected"),
    [
        ("I would start with a business case.", "business case", "affirmed"),
        (
            "I would not bother with Monte Carlo or P80 or a management reserve.",
            "management reserve",
            "negated",
        ),
        ("I've never really worked with Scrum or Kanban.", "kanban", "negated"),
        ("I never start without a business case.", "business case", "affirmed"),  # two negations
        ("No need for a pilot, we just go.", "pilot", "negated"),
        ("Instead of a pilot we went big bang.", "pilot", "negated"),
        ("We went big bang rather than a pilot.", "pilot", "negated"),
        ("We skipped the retrospective.", "retrospective", "negated"),
        ("A risk register is overkill for this.", "risk register", "negated"),
        ("The pilot wasn't needed in the end.", "pilot", "negated"),
        ("ITIL is operations stuff, projects don't need it.", "itil", "negated"),
        ("I wouldn't bother mixing them, hybrid contracts confuse everyone.", "hybrid contracts", "negated"),
        # Scopes end: a turn of the sentence, a new subject, a conditional clause, a dash.
        ("We didn't start until the business case was signed.", "business case", "affirmed"),
        ("I didn't panic, I wrote a rollback plan.", "rollback plan", "affirmed"),
        ("If they want to skip it, use the exception process.", "exception process", "affirmed"),
        ("I wouldn't go in heavy handed - no blame, just an offer to help.", "offer to help", "affirmed"),
        ("Not only a pilot but a phased rollout.", "pilot", "affirmed"),
        ("We held a go/no-go meeting with the owner.", "go no go", "affirmed"),
        ("She is a servant leader, not a manager.", "servant leader", "affirmed"),
        ("Hardware moves that cannot ship in pieces.", "hardware moves", "affirmed"),
    ],
)
def test_negation_scopes(answer: str, phrase: str, expected: str) -> None:
    assert status_of(answer, phrase) == expected


@pytest.mark.parametrize(
    ("answer", "phrase", "expected"),
    [
        # A mention that only does harm, is acceptable as it is, or can wait is dismissed.
        ("A long discovery phase just delays everything.", "discovery", "negated"),
        ("Agreeing ways of working as a group just turns into a debate.", "ways of working", "negated"),
        ("Extra features are fine too, users like more.", "extra features", "negated"),
        ("The retrospective can wait.", "retrospective", "negated"),
        ("There's no point in a pilot here.", "pilot", "negated"),
        ("Value stream mapping? Not really, it's sticky notes.", "value stream mapping", "negated"),
        ("A pilot? Never.", "pilot", "negated"),
        ("Threat modelling is quite theoretical.", "threat modelling", "negated"),
        ("A steering committee doesn't add value here.", "steering committee", "negated"),
        ("A formal business case is a luxury we can't afford.", "business case", "negated"),
        # Left out, or forgotten, is not done.
        ("I'm not a fan of RAG ratings, so I leave them out.", "rag ratings", "negated"),
        ("I'd leave out the RAG ratings.", "rag ratings", "negated"),
        ("I'd keep risks out of an exec report.", "risks", "negated"),
        ("I forgot to update the risk register.", "risk register", "negated"),
        ("There's little point in a pilot.", "pilot", "negated"),
        ("Who needs a pilot when the vendor has done it a hundred times?", "pilot", "negated"),
        ("Honestly a communication plan is a nice-to-have.", "communication plan", "negated"),
        ("Lessons learned sessions are a box-ticking exercise.", "lessons learned", "negated"),
        ("Metrics are mostly vanity.", "metrics", "negated"),
        ("Daily retrospectives slow everything down.", "retrospectives", "negated"),
        ("We can add training later.", "training", "negated"),
        ("A pilot sounds good on paper but it just doubles the work.", "pilot", "negated"),
        ("A risk register is fine in theory.", "risk register", "negated"),
        ("The business case was a formality.", "business case", "negated"),
        ("I'd rather trust my gut than run a pilot.", "pilot", "negated"),
        ("Why run a pilot when you can just go live?", "pilot", "negated"),
        ("User research takes too long, so I'd skip it.", "user research", "negated"),
        ("Frankly, change management is HR's problem.", "change management", "negated"),
        ("Getting the budget approved is the sponsor's job.", "budget", "negated"),
        # A topic named up front, then negated through a pronoun under a new subject.
        ("A risk register is something for big companies, we never needed one.", "risk register", "negated"),
        ("Multitasking is normal for seniors and I don't see it as a problem.", "multitasking", "negated"),
        # A negation from an earlier clause and the clause's own dismissal agree.
        ("I wouldn't mix them, hybrid contracts just confuse everyone.", "hybrid contracts", "negated"),
        # Affirming counter-examples.
        ("I never start without a business case.", "business case", "affirmed"),
        ("Rather than guessing, I ran a pilot.", "pilot", "affirmed"),
        ("I skipped nothing: we ran a pilot.", "pilot", "affirmed"),
        ("I don't think a pilot is overkill.", "pilot", "affirmed"),
        ("Discovery delays hurt us, so we mapped dependencies.", "discovery", "affirmed"),
        ("The pilot went fine and we scaled it.", "pilot", "affirmed"),
        ("It only delays things if you skip the pilot? No, we ran one.", "ran one", "affirmed"),
        ("Did we run a pilot? Yes, for two weeks.", "pilot", "affirmed"),
        ("Threat modelling is theoretical work we did early.", "threat modelling", "affirmed"),
        ("Don't forget the rollback plan.", "rollback plan", "affirmed"),
        ("We kept the sponsor informed every week.", "sponsor", "affirmed"),
        ("A risk register is essential, we reviewed it weekly.", "risk register", "affirmed"),
        ("Retrospectives slowly changed the team's habits.", "retrospectives", "affirmed"),
        ("We ran the pilot and later scaled it.", "pilot", "affirmed"),
        ("The risk register is the team's shared tool.", "risk register", "affirmed"),
        ("We got the criteria signed on paper.", "criteria", "affirmed"),
        ("I'd rather run a pilot than guess.", "pilot", "affirmed"),
        ("Why a pilot? Because it lowers the risk.", "lowers the risk", "affirmed"),
        ("The pilot found bugs, so we fixed them.", "pilot", "affirmed"),
        # A negation inside "what ... isn't" belongs to that content clause, not the topic.
        (
            "I'd meet her one-to-one first and ask what she thinks isn't fit for purpose.",
            "one to one",
            "affirmed",
        ),
    ],
)
def test_dismissals_and_contrasts(answer: str, phrase: str, expected: str) -> None:
    assert status_of(answer, phrase) == expected


@pytest.mark.parametrize(
    ("answer", "phrase", "expected"),
    [
        (
            "Business case, stakeholders, current state, security, compliance, pilot, AWS, landing zone.",
            "landing zone",
            "listed",
        ),
        ("Main points: metrics, business impact, tech debt backlog.", "business impact", "listed"),
        ("Agile experience:\n- Scrum, Kanban, SAFe\n- sprint planning, retro", "sprint planning", "listed"),
        ("• milestones, forecast vs baseline", "forecast", "listed"),
        ("Stakeholders.", "stakeholders", "listed"),
        ("I'd cover: governance, budget, risks, scope, quality, vendors.", "vendors", "listed"),
        # Comparatives and "done" are not verbs in a list; its first item is a term too.
        ("- velocity, faster releases", "velocity", "listed"),
        ("- standard form, fewer approvals", "standard form", "listed"),
        (
            "In software: handoffs, partially done work, extra features, task switching, delays, defects.",
            "handoffs",
            "listed",
        ),
        (
            "Clear ask + deadline, follow-ups (email → call → desk visit), empathy, "
            "escalation to line manager, got it, lesson learned.",
            "escalation to line manager",
            "listed",
        ),
        # A fragment in "-ed" after a list continues it; alone it is a sentence.
        ("SIT, UAT, parallel run, cutover. Lessons learned.", "lessons learned", "listed"),
        ("We went live in May. Lessons learned.", "lessons learned", "affirmed"),
        # A sentence around the terms: they count.
        ("Scrum with a product owner and a retrospective.", "product owner", "affirmed"),
        ("I agreed the scope and priorities with the stakeholders.", "stakeholders", "affirmed"),
        (
            "I'd make sure they get what they need: proper docs, alerts in their tools, and training.",
            "alerts",
            "affirmed",
        ),
        ("In my last role I ran retros, and stand-ups, and demos.", "demos", "affirmed"),
        ("Scrum & Kanban teams said so; the product owner & I ran a retro.", "scrum", "affirmed"),
    ],
)
def test_bare_lists(answer: str, phrase: str, expected: str) -> None:
    assert status_of(answer, phrase) == expected


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ("We went live in March.", "go live"),
        ("I wrote it down for the team.", "write down"),
        ("She understood the trade-off.", "understand the trade off"),
        ("We agreed three SLAs with the vendor.", "sla"),
        ("Our KPIs were agreed.", "kpi"),
        ("Little’s Law explains it.", "little's law"),
        ("We prioritised the backlog.", "prioritize the backlog"),
        ("Our architects reviewed it.", "architecture"),
        ("Stakeholders signed it off.", "sign off"),
        ("Hand it over to operations.", "hand over"),
        ("We rolled the change back.", "roll back"),
        ("The behaviour changed.", "behavior"),
    ],
)
def test_natural_wording_matches(answer: str, phrase: str) -> None:
    assert status_of(answer, phrase) == "affirmed"


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ("Sign the contract and turn the lights off.", "sign off"),  # too far apart
        ("The risk. A register.", "risk register"),  # across sentences
        ("Roll the dice. Back to work.", "roll back"),
    ],
)
def test_phrases_do_not_stretch_too_far(answer: str, phrase: str) -> None:
    assert status_of(answer, phrase) == "absent"


def test_normalise_keeps_spans() -> None:
    text = "Little’s “law” – fine\u00a0here"
    assert len(normalise(text)) == len(text)
    assert normalise(text) == 'Little\'s "law" - fine here'
    tokens = tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == ["Little’s", "law", "fine", "here"]
    assert key("went") == key("go") and key("architects") == key("architecture")


def behavioural(star: str | None = "Situation, task, action, result.") -> Question:
    return Question.model_validate(
        {
            "id": "t-time-you",
            "topic": "risk",
            "kind": "behavioural",
            "difficulty": 2,
            "text": "Tell me about a time you handled a risk that others ignored.",
            "talking_points": [
                {"label": "Raised it formally", "match": ["risk register", "raised it", "escalated"]},
                {"label": "Quantified impact", "match": ["cost of delay", "quantified"]},
            ],
            "follow_ups": ["?"],
            "model_answer": ["Raise it in the risk register.", "Quantify the cost of delay."],
            "star": star,
        }
    )


def star_of(text: str) -> StarAnalysis:
    tokens = tokenize(text)
    return analyse_star(text, tokens, index_keys(tokens), "note")


@pytest.mark.parametrize(
    ("answer", "present", "weakest", "flags"),
    [
        (
            "Last year our data migration was running late. My role was to get it back on track. "
            "I split the work into waves and I negotiated two extra testers. "
            "As a result we went live two weeks early and saved 40,000 euros.",
            ("situation", "task", "action", "result"),
            None,
            (),
        ),
        (
            "Last year our data migration was running late. "
            "I split the work into waves and I called the vendor. "
            "In the end it went live and everyone was happy.",
            ("situation", "action", "result"),
            "task",
            ("no_numbers",),
        ),
        (
            "The project was late. We reworked the plan and we added testers. "
            "In the end we went live in 3 weeks.",
            ("situation", "action", "result"),
            "task",
            ("we_only",),
        ),
        (
            "I would first talk to the sponsor. Then I would set up a risk register. "
            "I'd escalate it if nobody listened.",
            (),
            "result",
            ("hypothetical",),
        ),
        # One "I would..." and nothing told in the past is hypothetical too.
        ("I would sit down with the team and agree a new retro format.", (), "result", ("hypothetical",)),
        # A real story after one "I would..." is not.
        (
            "I would raise it with the sponsor. Last year I did just that and we cut the delay by 2 weeks.",
            ("situation", "action", "result"),
            "task",
            (),
        ),
    ],
)
def test_star_parts_weakest_and_flags(
    answer: str, present: tuple[str, ...], weakest: str | None, flags: tuple[str, ...]
) -> None:
    star = star_of(answer)
    assert star.present == present
    assert star.weakest == weakest
    assert star.flags == flags
    assert all(part.evidence in " ".join(answer.split()) for part in star.parts)
    assert star.note == "note"


@pytest.mark.parametrize(
    ("kind", "count", "length"),
    [
        ("technical", 79, "short"),
        ("technical", 80, "ok"),
        ("technical", 251, "long"),
        ("behavioural", 149, "short"),
    ],
)
def test_word_count_against_the_range(kind: str, count: int, length: str) -> None:
    tokens = tokenize("word " * count)
    signals = analyse_signals(kind, tokens, index_keys(tokens), Glossary([]))
    assert (signals.word_count, signals.length) == (count, length)


def test_fillers_terms_and_repeats() -> None:
    text = (
        "Basically I kind of ran the risk register, kind of. I guess the vendor, the vendor and the vendor "
        "agreed to the change control board."
    )
    tokens = tokenize(text)
    signals = analyse_signals(
        "technical",
        tokens,
        index_keys(tokens),
        Glossary(["risk management", "risk register", "change control"]),
    )
    assert signals.fillers == (("kind of", 2), ("basically", 1), ("i guess", 1))
    assert signals.terms == ("risk register", "change control")
    assert signals.repeated == (("vendor", 3),)


@pytest.mark.parametrize(
    ("covered", "total", "star_parts", "flags", "words", "rating", "reasons"),
    [
        (6, 6, None, (), 120, Rating.EASY, ("points",)),
        (4, 6, None, (), 120, Rating.GOOD, ("points",)),
        (2, 6, None, (), 120, Rating.HARD, ("points",)),
        (0, 6, None, (), 120, Rating.AGAIN, ("points",)),
        (2, 6, ("situation", "action"), (), 200, Rating.AGAIN, ("points", "no_result")),
        (
            6,
            6,
            ("situation", "task", "action", "result"),
            ("hypothetical",),
            200,
            Rating.GOOD,
            ("points", "hypothetical"),
        ),
        (6, 6, None, (), 30, Rating.HARD, ("points", "too_short")),
    ],
)
def test_suggested_rating(
    covered: int,
    total: int,
    star_parts: tuple[str, ...] | None,
    flags: tuple[str, ...],
    words: int,
    rating: Rating,
    reasons: tuple[str, ...],
) -> None:
    star = None
    if star_parts is not None:
        parts = tuple(
            StarPart(name, "x" if name in star_parts else "")
            for name in ("situation", "task", "action", "result")
        )
        star = StarAnalysis(parts, None, flags)  # type: ignore[arg-type]
    low = 80 if star is None else 150
    signals = Signals(words, (low, 300), "short" if words < low else "ok")
    suggestion = suggest(covered, total, 0, 0, star, signals)
    assert (suggestion.rating, suggestion.reasons) == (rating, reasons)


@pytest.mark.parametrize(
    ("covered", "total", "expected"),
    [(0, 6, "none"), (1, 6, "low"), (3, 6, "mixed"), (5, 6, "good"), (6, 6, "excellent"), (0, 0, "none")],
)
def test_summary_tone_follows_the_result(covered: int, total: int, expected: str) -> None:
    assert tone(covered, total) == expected


def feedback(statuses: str, star_missing: str = "", flags: tuple[str, ...] = ()) -> Feedback:
    names = {"c": "covered", "l": "listed", "n": "negated", "m": "missed"}
    points = tuple(PointResult(f"P{i}", names[s]) for i, s in enumerate(statuses))  # type: ignore[arg-type]
    star = None
    if star_missing or flags:
        star = StarAnalysis(
            tuple(
                StarPart(n, "" if n == star_missing else "x")
                for n in ("situation", "task", "action", "result")
            ),
            None,
            flags,  # type: ignore[arg-type]
        )
    covered = tuple(i for i, s in enumerate(statuses) if s == "c")
    return Feedback(tuple(p.label for p in points), covered, 100, points, star)


@pytest.mark.parametrize(
    ("answers", "code", "count"),
    [
        ([feedback("cccm"), feedback("ccmm", "result"), feedback("cccc", "result")], "star_result", 2),
        ([feedback("llcc"), feedback("lccc"), feedback("cccn")], "explain_listed", 2),
        ([feedback("nccc"), feedback("lccc")], "negated", 1),  # a tie: the more fundamental habit
        ([feedback("mmmc"), feedback("mmmc", flags=("no_numbers",))], "points", 2),
    ],
)
def test_next_focus_names_the_most_frequent_gap(answers: list[Feedback], code: str, count: int) -> None:
    focus = next_focus(answers)
    assert focus is not None
    assert (focus.code, focus.count) == (code, count)


def test_next_focus_is_none_when_nothing_went_wrong() -> None:
    assert next_focus([feedback("cccc")]) is None


def test_assess_returns_evidence_hints_and_star() -> None:
    question = behavioural()
    matcher = FeedbackMatcher([question])
    result = matcher.assess(
        question,
        "Last year a vendor risk was ignored. I raised it at the steering committee. "
        "We slipped by 3 weeks in the end.",
    )
    assert result.covered_labels == ["Raised it formally"]
    assert result.points[0].evidence == "raised it at the steering committee"
    assert result.points[1].hint == "Quantify the cost of delay."
    assert result.star is not None and result.star.present == ("situation", "action", "result")
    assert result.suggestion is not None and result.suggestion.rating == Rating.HARD
    assert result.to_dict()["covered"] == ["Raised it formally"]
    # The old three-field value still builds, for stored answers and callers that only count.
    assert Feedback(("a", "b"), (1,), 3).missed_labels == ["a"]


def planning_question() -> Question:
    return Question.model_validate(
        {
            "id": "t-plan",
            "topic": "lifecycle",
            "kind": "technical",
            "difficulty": 2,
            "text": "How do you build a schedule?",
            "talking_points": [
                {"label": "Estimate with the team", "match": ["the estimates", "estimated it"]},
            ],
            "follow_ups": ["?"],
            "model_answer": ["Estimate with the team."],
        }
    )


@pytest.mark.parametrize(
    ("answer", "covered"),
    [
        # A point the answer negates is not rescued by a mention in an "if" clause.
        ("I wouldn't prepare a rollback; if you plan to roll back you've already lost.", []),
        ("I wouldn't prepare a rollback plan. Unless you roll back often, it's wasted.", []),
        # Without a negation elsewhere, a conditional mention counts as before.
        ("If we had to roll back, the plan was ready and rehearsed.", ["Rollback ready"]),
        ("I didn't panic. If the fix failed we would roll back within the hour.", ["Rollback ready"]),
    ],
)
def test_a_negated_point_is_not_rescued_by_a_condition(answer: str, covered: list[str]) -> None:
    question = Question.model_validate(
        {
            "id": "t-rollback",
            "topic": "risk",
            "kind": "technical",
            "difficulty": 2,
            "text": "A defect is found the day before go-live. What do you do?",
            "talking_points": [{"label": "Rollback ready", "match": ["rollback", "roll back"]}],
            "follow_ups": ["?"],
            "model_answer": ["Have a rollback plan ready."],
        }
    )
    assert FeedbackMatcher([question]).assess(question, answer).covered_labels == covered


@pytest.mark.parametrize(
    ("answer", "covered"),
    [
        # Done alone, a point about doing it with others is not made.
        ("I do the estimates myself, asking the team takes too long.", []),
        ("I built the estimates alone over a weekend.", []),
        ("I wrote the estimates on my own.", []),
        (
            "I estimated it myself first. Then the team and I reviewed the estimates.",
            ["Estimate with the team"],
        ),
    ],
)
def test_points_about_teamwork_are_not_made_alone(answer: str, covered: list[str]) -> None:
    question = planning_question()
    assert FeedbackMatcher([question]).assess(question, answer).covered_labels == covered


def test_a_stored_analysis_comes_back_the_same() -> None:
    question = behavioural()
    matcher = FeedbackMatcher([question])
    result = matcher.assess(
        question,
        "Last year a vendor risk was ignored. We never quantified it. I raised it at the steering "
        "committee, basically. We slipped by 3 weeks in the end.",
    )
    stored = json.loads(json.dumps(to_stored(result)))
    assert from_stored(stored) == result


@pytest.mark.parametrize(
    ("match", "answer"),
    [
        ("product owner", "Our PO owned the priorities."),
        ("dod", "We agreed a definition of done with the team."),
        ("steering committee", "I took it to the SteerCo."),
        ("time and materials", "For discovery I'd use T&M."),
    ],
)
def test_acronyms_and_their_expansions_match_each_other(match: str, answer: str) -> None:
    question = behavioural().model_copy(
        update={"talking_points": [behavioural().talking_points[0].model_copy(update={"match": [match]})]}
    )
    assert FeedbackMatcher([question]).assess(question, answer).covered == (0,)


def test_one_compiled_matcher_is_shared_per_bank_object() -> None:
    first, second = (behavioural(),), (behavioural(),)
    assert FeedbackMatcher.shared(first) is FeedbackMatcher.shared(first)
    assert FeedbackMatcher.shared(second) is not FeedbackMatcher.shared(first)


@pytest.mark.parametrize(
    ("answer", "evidence"),
    [
        # Context counts content words and never ends on a small word.
        (
            "I'd agree success criteria with the sponsor, then map the landscape.",
            "success criteria with the sponsor",
        ),
        ("Then we run a pilot phase with one department first.", "run a pilot phase with one department"),
        ("I would not bother with a pilot phase at all.", "not bother with a pilot phase"),
    ],
)
def test_quotes_end_on_words_that_carry_meaning(answer: str, evidence: str) -> None:
    question = Question(
        id="quote-probe",
        topic="cloud",
        kind="situational",
        difficulty=1,
        text="How would you start?",
        talking_points=[
            TalkingPoint(label="Sponsor agreed", match=["sponsor"]),
            TalkingPoint(label="Pilot first", match=["pilot phase"]),
        ],
        follow_ups=["Then what?"],
        model_answer=["Agree it with the sponsor and run a pilot."],
    )
    found = FeedbackMatcher([question]).assess(question, answer)
    assert evidence in [p.evidence for p in found.points if p.status != "missed"]
