"""A job ad to practise for: the IT project management terms it names, as topic weights.

The ad is read with the feedback matcher's tokens (bot/core/feedback/text.py), so "SLAs",
"service level agreements", "prioritisation" and "prioritization" all meet their term. Only
the topic weights are stored, never the ad's text. No network and no model: a small lexicon.

The ad's strongest topics (at most six: most terms named, then most mentions) get weight 4,
5 with two of their terms, 6 with three or more; every other topic keeps weight 1. A daily
prompt draws its topic in proportion to the weights (weight 4 among 14 topics: about 3.3
times as often); an interview deals its few topics in a weighted order, where weight 4 makes
a topic about 2.4 times as likely to be among the three of thirteen (bot/core/picking.py).
"""

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from bot.core.clock import Clock
from bot.core.feedback.text import phrase_keys, tokenize, variants
from bot.core.interview import Identity
from questions.topics import TOPICS
from storage.db import Database

# A long ad is a few thousand characters; more is most likely not an ad (and Telegram stops at
# 4,096 anyway, the terminal does not).
MAX_AD_CHARS: Final = 15_000
# The weight of a topic the ad names once; each further term of it adds one, up to the cap.
# Weight 3 would make a topic less than twice as likely in an interview's three picks.
BASE_WEIGHT: Final = 4
MAX_WEIGHT: Final = 6
# An ad that names nearly every topic would weight none of them: only its strongest few count.
MAX_TOPICS: Final = 6


@dataclass(frozen=True, slots=True)
class Term:
    name: str  # as the reply shows it
    topics: tuple[str, ...]
    # Other ways ads write it; the name itself matches too. Words that ads use in other senses
    # ("contract role", "Requirements:" as a heading, "reporting to") are left out on purpose.
    phrases: tuple[str, ...] = ()


LEXICON: Final[tuple[Term, ...]] = (
    # methodologies
    Term("Agile", ("agile",), ("agile methodology", "agile delivery", "agile environment")),
    Term("Scrum", ("agile",), ("scrum master", "sprint", "sprint planning", "scrum team")),
    Term(
        "SAFe", ("agile",), ("scaled agile", "scaled agile framework", "agile release train", "pi planning")
    ),
    Term("Backlog and user stories", ("agile",), ("backlog", "product backlog", "user story")),
    Term("Jira", ("agile",), ("confluence",)),
    Term("Kanban", ("kanban",), ("kanban board", "wip limit", "work in progress limit")),
    Term("Lean", ("kanban",), ("lean six sigma", "six sigma", "continuous improvement")),
    Term("Waterfall", ("lifecycle",), ("waterfall methodology",)),
    Term("Hybrid delivery", ("lifecycle", "agile"), ("hybrid methodology", "hybrid approach")),
    Term("Project lifecycle", ("lifecycle",), ("project life cycle", "end-to-end delivery")),
    Term("Planning and scheduling", ("lifecycle",), ("project plan", "project planning", "critical path")),
    Term("Work breakdown structure", ("lifecycle",), ("wbs",)),
    Term("Milestones", ("lifecycle",), ("gantt", "ms project", "microsoft project")),
    Term("Scope management", ("lifecycle",), ("scope creep", "change control", "project scope")),
    # cloud
    Term("Cloud", ("cloud",), ("cloud migration", "cloud adoption", "cloud platform", "cloud computing")),
    Term("AWS", ("cloud",), ("amazon web services",)),
    Term("Azure", ("cloud",), ("microsoft azure",)),
    Term("Google Cloud", ("cloud",), ("gcp",)),
    Term("SaaS", ("cloud",), ("iaas", "paas", "software as a service")),
    Term("Migration", ("cloud",), ("lift and shift", "data centre migration", "data center migration")),
    # integration
    Term("Systems integration", ("integration",), ("integration", "system integration")),
    Term("APIs", ("integration",), ("api", "rest api", "middleware", "microservices")),
    Term("ERP", ("integration",), ("sap", "sap s/4hana")),
    Term("CRM", ("integration",), ("salesforce",)),
    Term("Data migration", ("integration",), ("etl", "data integration")),
    # requirements and testing
    Term(
        "Requirements gathering",
        ("requirements",),
        (
            "requirements management",
            "business requirements",
            "functional requirements",
            "requirements elicitation",
            "business analysis",
            "acceptance criteria",
        ),
    ),
    Term("Testing", ("requirements",), ("test strategy", "test management", "quality assurance", "qa")),
    Term("UAT", ("requirements",), ("user acceptance testing",)),
    Term("Go-live", ("requirements",), ("go live", "cutover", "cut-over", "hypercare", "release management")),
    # budget
    Term("Budget", ("budget",), ("budgeting", "budget management", "budget control")),
    Term("Cost control", ("budget",), ("cost management", "financial management", "forecasting")),
    Term("Business case", ("budget",), ("roi", "return on investment", "benefits realisation")),
    Term("CapEx and OpEx", ("budget",), ("capex", "opex")),
    Term("Earned value", ("budget",), ("evm", "earned value management")),
    Term("TCO", ("budget",), ("total cost of ownership",)),
    # vendors
    Term("Vendor management", ("vendors",), ("vendor", "supplier", "supplier management", "third party")),
    Term("Procurement", ("vendors",), ("rfp", "request for proposal", "tender", "sourcing")),
    Term("Contract management", ("vendors",), ("contract negotiation", "statement of work", "sow")),
    Term("SLAs", ("vendors", "metrics"), ("sla", "service level agreement")),
    Term("Outsourcing", ("vendors",), ("offshore", "nearshore", "managed service provider")),
    # risk
    Term("Risk management", ("risk",), ("risk", "risk register", "risk mitigation", "risk assessment")),
    Term("RAID log", ("risk",), ("raid", "issue management", "issue log")),
    Term("Dependencies", ("risk",), ("dependency management",)),
    # stakeholders
    Term("Stakeholder management", ("stakeholders",), ("stakeholder", "stakeholder engagement")),
    Term("Communication", ("stakeholders",), ("communication skills", "communication plan")),
    Term("Steering committee", ("stakeholders",), ("steerco", "executive stakeholders", "c-level")),
    Term("Status reporting", ("stakeholders", "metrics"), ("status report", "progress reporting")),
    # metrics
    Term("KPIs", ("metrics",), ("kpi", "key performance indicator", "metrics", "okr")),
    Term("Dashboards", ("metrics",), ("dashboard", "power bi", "tableau")),
    Term("Velocity and burndown", ("metrics", "agile"), ("velocity", "burndown", "burn-down")),
    # security, compliance and change
    Term("Security", ("security",), ("information security", "cybersecurity", "cyber security", "infosec")),
    Term("Compliance", ("security",), ("regulatory", "regulation", "audit", "gdpr", "hipaa", "sox")),
    Term("ISO 27001", ("security",), ("iso27001", "soc 2", "pci dss")),
    Term("Change management", ("security",), ("change advisory board", "cab", "change request")),
    Term("ITIL", ("security", "scaling"), ("it service management", "itsm", "servicenow")),
    # scaling
    Term(
        "Infrastructure", ("scaling",), ("it infrastructure", "scalability", "scaling", "capacity planning")
    ),
    Term("DevOps", ("scaling",), ("ci/cd", "continuous integration", "continuous delivery", "automation")),
    Term("Containers", ("scaling", "cloud"), ("kubernetes", "docker")),
    Term("PMO", ("scaling",), ("project management office", "portfolio management", "programme management")),
    # leadership
    Term("Leadership", ("leadership",), ("team leadership", "servant leadership", "lead a team")),
    Term(
        "People management", ("leadership",), ("line management", "direct reports", "mentoring", "coaching")
    ),
    Term(
        "Cross-functional teams", ("leadership",), ("cross functional", "distributed teams", "remote teams")
    ),
    Term("Conflict resolution", ("leadership",), ("negotiation", "conflict management")),
    # certifications
    Term("PMP", ("lifecycle",), ("pmi", "capm", "pmbok")),
    Term("PRINCE2", ("lifecycle",), ("prince 2",)),
    Term("Scrum certification", ("agile",), ("csm", "psm", "certified scrum master")),
    Term("Certification", ("background",), ("certified", "certificate")),
)


@dataclass(frozen=True, slots=True)
class JobAdScan:
    """What an ad named: the terms found (lexicon order) and the topic weights they give."""

    terms: tuple[str, ...]
    weights: dict[str, int]


@lru_cache(maxsize=1)
def _index() -> tuple[dict[tuple[str, ...], int], int]:
    """Every phrase's keys -> its term's position in LEXICON, and the longest phrase's length."""
    index: dict[tuple[str, ...], int] = {}
    for position, term in enumerate(LEXICON):
        for phrase in (term.name, *term.phrases):
            keys = phrase_keys(phrase)
            if not keys:
                continue
            index.setdefault(keys, position)
            for other in variants(keys):  # "SLA" also as "service level agreement"
                index.setdefault(other, position)
    return index, max(len(k) for k in index)


def scan(text: str) -> JobAdScan:
    """The lexicon's terms in `text`, longest phrase first ("risk management" is one term)."""
    index, longest = _index()
    keys = [token.key for token in tokenize(text)]
    found: Counter[int] = Counter()
    i = 0
    while i < len(keys):
        for n in range(min(longest, len(keys) - i), 0, -1):
            position = index.get(tuple(keys[i : i + n]))
            if position is not None:
                found[position] += 1
                i += n
                break
        else:
            i += 1
    terms = [LEXICON[p] for p in sorted(found)]
    # A topic's score: how many of its terms the ad names, then how often it names them.
    distinct = Counter(topic for term in terms for topic in term.topics)
    mentions = Counter(topic for p, n in found.items() for topic in LEXICON[p].topics for _ in range(n))
    ranked = sorted(distinct, key=lambda t: (-distinct[t], -mentions[t], list(TOPICS).index(t)))
    weights = {t: min(MAX_WEIGHT, BASE_WEIGHT + distinct[t] - 1) for t in ranked[:MAX_TOPICS]}
    return JobAdScan(tuple(term.name for term in terms), weights)


def weighted_topics(weights: dict[str, int] | None) -> tuple[str, ...]:
    """The weighted topics' names, heaviest first, then in the bank's topic order."""
    if not weights:
        return ()
    order = list(TOPICS)
    slugs = sorted((t for t in weights if t in TOPICS), key=lambda t: (-weights[t], order.index(t)))
    return tuple(TOPICS[t] for t in slugs)


@dataclass(frozen=True, slots=True)
class JobAdSet:
    terms: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JobAdNoTerms:
    """Nothing the lexicon knows: the previous setting stands."""

    kept: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JobAdTooLong:
    length: int
    limit: int


@dataclass(frozen=True, slots=True)
class JobAdStatus:
    """The current setting: the weighted topics' names (empty: no ad)."""

    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JobAdCleared:
    had_one: bool


JobAdOutcome = JobAdSet | JobAdNoTerms | JobAdTooLong | JobAdStatus | JobAdCleared


class JobAdService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def handle(self, who: Identity, text: str) -> JobAdOutcome:
        """`/jobad` with what followed it: the ad to scan, "off", or nothing (the setting)."""
        # Zero-width and other format characters alone read as nothing, like an empty answer.
        stripped = text.strip() if any(unicodedata.category(ch) != "Cf" for ch in text.strip()) else ""
        if len(stripped) > MAX_AD_CHARS:
            return JobAdTooLong(len(stripped), MAX_AD_CHARS)
        async with self.db.unit() as uow:
            user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
            profile = await uow.users.profile_by_id(user.id)
            current = profile.topic_weights if profile else None
            if not stripped:
                return JobAdStatus(weighted_topics(current))
            if stripped.casefold() in {"off", "clear", "none", "stop"}:
                await uow.users.set_topic_weights(user.id, None)
                return JobAdCleared(bool(current))
            found = scan(stripped)
            if not found.weights:
                return JobAdNoTerms(weighted_topics(current))
            await uow.users.set_topic_weights(user.id, found.weights)
        return JobAdSet(found.terms, weighted_topics(found.weights))
