"""A job ad to practise for: the terms it names, the topic weights, their effect on picking,
odd input, and that the ad's text is never stored."""

import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.core.interview import Identity, Started
from bot.core.jobad import (
    LEXICON,
    MAX_AD_CHARS,
    JobAdCleared,
    JobAdNoTerms,
    JobAdSet,
    JobAdStatus,
    JobAdTooLong,
    scan,
)
from bot.core.picking import pick_questions
from bot.core.prompting import choose
from bot.core.services import Services
from questions.loader import QuestionBank
from questions.topics import TOPICS
from tests import db_rows

ANN = Identity("tg:1", 1, "Ann")

AD = """IT Project Manager – Cloud Migration (Hybrid, London)

We're looking for an experienced IT Project Manager to lead the migration of our on-premise
ERP to Microsoft Azure.

Responsibilities
- Own end-to-end delivery using Agile (Scrum) and hybrid approaches; run sprint planning
- Manage budgets of up to £2m, forecasting and cost control; build business cases
- Maintain the RAID log and risk register; escalate risks to the steering committee
- Manage third-party vendors and Service Level Agreements; support procurement
- Coordinate systems integration via APIs and middleware with Salesforce
- Plan UAT, cutover and hypercare

Requirements: PMP or PRINCE2 certification; ITIL; excellent communication skills.
"""


def test_a_realistic_ad_names_its_terms_and_weights_its_strongest_topics() -> None:
    found = scan(AD)
    for term in (
        "Agile",
        "Scrum",
        "Azure",
        "Cloud",
        "Budget",
        "RAID log",
        "SLAs",
        "APIs",
        "UAT",
        "PMP",
        "ITIL",
    ):
        assert term in found.terms
    assert "Requirements gathering" not in found.terms, "a 'Requirements:' heading is not a term"
    assert 1 <= len(found.weights) <= 6
    assert set(found.weights) <= set(TOPICS)
    assert all(4 <= w <= 6 for w in found.weights.values())
    assert {"integration", "vendors", "budget"} <= set(found.weights)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Experience managing SLAs", "SLAs"),
        ("defining service level agreements with suppliers", "SLAs"),
        ("Programme management experience", "PMO"),
        ("program management experience", "PMO"),
        ("You will own the risks and issues", "Risk management"),
        ("stakeholders at every level", "Stakeholder management"),
        ("KPIs and OKRs", "KPIs"),
        ("User Acceptance Testing", "UAT"),
        ("Kubernetes platforms", "Containers"),
        ("AWS-certified", "AWS"),
    ],
)
def test_plurals_spellings_and_acronyms_meet_their_term(text: str, term: str) -> None:
    assert term in scan(text).terms


def test_words_ads_use_in_other_senses_are_not_terms() -> None:
    text = "Requirements: 5 years' experience. Reporting to the CIO. A 6-month contract role."
    assert scan(text).terms == ()


def test_the_lexicon_maps_only_to_bank_topics() -> None:
    assert all(t in TOPICS for term in LEXICON for t in term.topics)
    assert len({term.name for term in LEXICON}) == len(LEXICON)


def test_weights_shift_interview_topics_measurably(bank: QuestionBank) -> None:
    """Over many seeded interviews, a weighted topic comes up at least twice as often."""

    def share(weights: dict[str, int] | None) -> float:
        counts: Counter[str] = Counter()
        for seed in range(1000):
            for qid in pick_questions(bank, 5, None, set(), random.Random(seed), weights=weights)[1:-1]:
                counts[bank.by_id[qid].topic] += 1
        return counts["risk"] / sum(counts.values())

    weights = scan("Keep the risk register").weights
    assert weights == {"risk": 4}
    plain, weighted = share(None), share(weights)
    assert weighted >= 2 * plain, (plain, weighted)


def test_weights_shift_daily_prompts_measurably(bank: QuestionBank) -> None:
    def share(weights: dict[str, int] | None) -> float:
        topics: Counter[str] = Counter()
        for seed in range(600):
            pick = choose(
                bank.questions,
                due=[],
                weakest=[],
                answered=set(),
                topics=None,
                reviews_left_today=5,
                days_left=None,
                exclude=(),
                now=datetime(2026, 3, 2, tzinfo=UTC),
                rng=random.Random(seed),
                by_id=dict(bank.by_id),
                weights=weights,
            )
            assert pick is not None
            topics[pick.question.topic] += 1
        return topics["vendors"] / 600

    plain, weighted = share(None), share(scan("vendor management").weights)
    assert weighted >= 2 * plain, (plain, weighted)


async def test_set_show_and_clear_a_job_ad(services: Services) -> None:
    assert await services.jobads.handle(ANN, "") == JobAdStatus(())
    result = await services.jobads.handle(ANN, AD)
    assert isinstance(result, JobAdSet)
    assert result.terms == scan(AD).terms and len(result.topics) == len(scan(AD).weights)
    status = await services.jobads.handle(ANN, "   ")
    assert status == JobAdStatus(result.topics)
    assert await services.jobads.handle(ANN, "OFF") == JobAdCleared(True)
    assert await services.jobads.handle(ANN, "off") == JobAdCleared(False)
    assert await services.jobads.handle(ANN, "") == JobAdStatus(())


async def test_odd_input_gets_a_clear_outcome_and_keeps_the_setting(services: Services) -> None:
    set_once = await services.jobads.handle(ANN, "Scrum and Kanban for a cloud team")
    assert isinstance(set_once, JobAdSet)
    assert await services.jobads.handle(ANN, "🚀🙂🔥" * 50) == JobAdNoTerms(set_once.topics)
    assert await services.jobads.handle(ANN, "\u200b\u200b") == JobAdStatus(set_once.topics)
    long = ("We need a Scrum master. " * 900)[:19_999] + "."
    assert await services.jobads.handle(ANN, long) == JobAdTooLong(20_000, MAX_AD_CHARS)
    # At the limit the ad is still read.
    assert isinstance(await services.jobads.handle(ANN, long[:MAX_AD_CHARS]), JobAdSet)


async def test_the_interview_leans_toward_the_ads_topics(services: Services, bank: QuestionBank) -> None:
    await services.jobads.handle(ANN, "Vendor management, procurement, supplier contracts and SLAs")
    topics: Counter[str] = Counter()
    for _ in range(40):
        started = await services.interviews.start(ANN)
        assert isinstance(started, Started)
        async with services.db.unit() as uow:
            _, session = await uow.sessions.active_for(ANN.external_id)
        assert session is not None
        topics.update(bank.by_id[q].topic for q in session.question_ids[1:-1])
        await services.interviews.cancel(ANN)
    # Unweighted, one topic of 14 gets about 3/14 of 40 interviews; weighted 5 gets far more.
    assert topics["vendors"] >= 20, topics


async def test_the_ads_text_is_never_stored(services: Services) -> None:
    marker = "Zanzibarian quokka logistics"
    await services.jobads.handle(ANN, f"{marker}: Scrum, AWS and vendor management")
    await services.db.dispose()
    url = make_url(services.settings.database.url)
    if url.get_backend_name() == "sqlite":
        # Every byte of the file and its WAL, free pages included.
        stored = b"".join(p.read_bytes() for p in Path(str(url.database)).parent.glob("*.db*"))
    else:
        stored = db_rows.every_row(services.settings.database.url).encode()
    assert b"quokka" not in stored and b"Zanzibar" not in stored
    assert b"vendors" in stored  # the weights are there
