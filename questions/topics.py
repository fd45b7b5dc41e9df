"""The fixed set of topics a question can belong to (slug -> display name)."""

from typing import Final

TOPICS: Final[dict[str, str]] = {
    "cloud": "Cloud rollout and migration",
    "agile": "Agile and Scrum",
    "kanban": "Kanban and Lean",
    "integration": "Systems integration",
    "lifecycle": "Project lifecycle",
    "requirements": "Requirements, testing and go-live",
    "budget": "Budgeting and cost control",
    "vendors": "Vendors, procurement and contracts",
    "risk": "Risk management",
    "stakeholders": "Stakeholder communication",
    "metrics": "IT metrics and reporting",
    "security": "Security, compliance and change",
    "scaling": "Scaling IT processes and infrastructure",
    "leadership": "Leadership and team",
    "background": "Background and career",
}

KINDS: Final[tuple[str, ...]] = ("behavioural", "situational", "technical", "background")
