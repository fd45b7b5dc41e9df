"""Which follow-up a weak answer gets (bot.core.probes), over the real bank and feedback engine."""

import html

import pytest

from bot.core.feedback import Feedback, FeedbackMatcher
from bot.core.interview import QuestionPrompt
from bot.core.probes import Probe, choose_probe
from bot.present.render import render, to_plain
from questions.loader import QuestionBank
from questions.schema import Question, TalkingPoint

CLOUD = "cloud-begin-implementation"
RETRO = "agile-retrospectives-stale"  # behavioural: "Tell me about a time..."


def assess(bank: QuestionBank, question: Question, answer: str) -> Feedback:
    return FeedbackMatcher(bank.questions).assess(question, answer)


def probe_for(bank: QuestionBank, question_id: str, answer: str) -> Probe | None:
    question = bank.by_id[question_id]
    return choose_probe(question, assess(bank, question, answer))


def test_a_strong_answer_gets_no_follow_up(bank: QuestionBank) -> None:
    strong = (
        "First I would agree the business case and measurable objectives with the sponsor and map "
        "the stakeholder groups. Then a current state assessment and gap analysis of what we run "
        "today, with security and compliance involved early for data protection. I would run a "
        "proof of concept with one team, pick the provider with the architects, and plan adoption "
        "with change management, training and user support."
    )
    assert probe_for(bank, CLOUD, strong) is None


def test_a_weak_answer_gets_the_bank_follow_up_that_targets_what_it_missed(bank: QuestionBank) -> None:
    # Nothing about the provider: the follow-up about choosing a provider targets it.
    weak = "I would agree the business case with the sponsor and run a proof of concept with one team."
    assert probe_for(bank, CLOUD, weak) == Probe(
        "bank", "How would you choose between two competing cloud providers?"
    )


def test_a_story_without_a_result_is_asked_for_it(bank: QuestionBank) -> None:
    story = (
        "Last year our retrospectives kept raising the same issues. I changed the format to a "
        "starfish and I put the actions on the sprint board."
    )
    assert probe_for(bank, RETRO, story) == Probe("result")


def test_a_story_told_with_we_only_is_asked_for_the_candidates_own_part(bank: QuestionBank) -> None:
    story = (
        "Our retrospectives had gone stale last year: the same issues came up every sprint. We "
        "changed the format to a starfish. We put the actions on the sprint board. As a result "
        "carried-over work went down by half within two sprints."
    )
    assert probe_for(bank, RETRO, story) == Probe("action")


def question_with(follow_ups: list[str]) -> Question:
    return Question(
        id="probe-test",
        topic="risk",
        kind="technical",
        difficulty=1,
        text="How do you run a risk workshop?",
        talking_points=[
            TalkingPoint(label="Risk register", match=["risk register"], hint="Keep a living register."),
            TalkingPoint(label="Owners for risks", match=["risk owner"], hint="Name an owner per risk."),
            TalkingPoint(label="Escalation path", match=["escalation path"], hint="Agree when to escalate."),
            TalkingPoint(label="Regular review", match=["weekly review"], hint="Review it weekly."),
        ],
        follow_ups=follow_ups,
        model_answer=["Register, owners, escalation, review."],
    )


@pytest.mark.parametrize(
    ("follow_ups", "answer", "expected"),
    [
        # The follow-up that names the missed point wins over the bank's first one.
        (
            ["What tools do you like?", "Who decides the escalation path?"],
            "We keep a risk register with a risk owner for each entry.",
            Probe("bank", "Who decides the escalation path?"),
        ),
        # No follow-up shares a content word with the gap: one is built for the first missed point.
        (
            ["What tools do you like?"],
            "We keep a risk register with a risk owner for each entry.",
            Probe("point", "Escalation path"),
        ),
        # Three of four points is enough: no follow-up.
        (
            ["Who decides the escalation path?"],
            "We keep a risk register and name a risk owner for every risk. We agreed an escalation "
            "path with the sponsor so that big risks reach her within a day.",
            None,
        ),
    ],
    ids=["best-bank-match", "built-for-the-point", "covered-enough"],
)
def test_probe_choice(bank: QuestionBank, follow_ups: list[str], answer: str, expected: Probe | None) -> None:
    question = question_with(follow_ups)
    assert choose_probe(question, assess(bank, question, answer)) == expected


def test_ties_go_to_the_bank_order(bank: QuestionBank) -> None:
    question = question_with(["Who owns the escalation path?", "When is the escalation path used?"])
    feedback = assess(bank, question, "Nothing relevant at all, sorry.")
    probe = choose_probe(question, feedback)
    assert probe == Probe("bank", "Who owns the escalation path?")


@pytest.mark.parametrize(
    "probe",
    [Probe("bank", "What if: the sponsor leaves?"), Probe("result"), Probe("action"), Probe("point", "A: b")],
)
def test_the_stored_form_round_trips(probe: Probe) -> None:
    assert Probe.parse(probe.stored()) == probe


@pytest.mark.parametrize("stored", [None, "", "bank", "bank:", "result:x", "nonsense", "point:"])
def test_unknown_stored_forms_are_no_probe(stored: str | None) -> None:
    assert Probe.parse(stored) is None


@pytest.mark.parametrize(
    "label", ["Find the cause", "Regular refinement sessions", "What success looks like", "SLA & <KPIs>"]
)
def test_a_built_follow_up_quotes_the_missed_point_as_the_bank_words_it(
    bank: QuestionBank, label: str
) -> None:
    """Labels are instructions, noun phrases or clauses: quoted unchanged, each reads as a question
    (not "How would you handle find the cause?"), and what the bank wrote is escaped."""
    question = bank.by_id[CLOUD]
    prompt = QuestionPrompt(1, 1, 5, question, probe=Probe("point", label))
    html_text = render("question", prompt=prompt)
    assert (
        f"You haven't covered “{html.escape(label, quote=False)}” yet. How would you go about it?"
        in html_text
    )
    assert f"“{label}”" in to_plain(html_text)
