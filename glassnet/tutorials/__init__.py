"""The four tutorials, rebuilt on glassnet's public API.

Each tutorial module has ``run(trace=False, **options) -> TutorialResult``. A
result holds text sections for people, ``data`` for machines (matrices under
the tutorial's own symbols) and the tutorial's errata.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

TUTORIALS = {
    "stairs": "The stairs worked example (GormAnalysis, seed 000)",
    "sandhu": "A 1-4-3-1 network step by step (Sandhu, seed 001)",
    "rashid": "Make Your Own Neural Network (Rashid, seed 002)",
    "desai": "A soft introduction: softmax regression on 16 rows (Desai, seed 003)",
}


@dataclass
class Erratum:
    """One place where a tutorial is wrong or inconsistent, and what glassnet does."""

    where: str
    says: str
    fix: str

    def as_dict(self):
        return {"where": self.where, "says": self.says, "glassnet": self.fix}


@dataclass
class TutorialResult:
    name: str
    title: str
    sections: list = field(default_factory=list)  # (heading, text) pairs
    data: dict = field(default_factory=dict)  # JSON-ready numbers, tutorial's symbols
    errata: list = field(default_factory=list)  # Erratum objects

    def add(self, heading, text):
        self.sections.append((heading, text))

    def text(self) -> str:
        out = [self.title, "=" * len(self.title)]
        for heading, body in self.sections:
            out += ["", f"-- {heading} --", body]
        out += ["", "-- Errata --"]
        for i, e in enumerate(self.errata, 1):
            out.append(f"{i}. {e.where}: {e.says}\n   glassnet: {e.fix}")
        return "\n".join(out)

    def as_dict(self) -> dict:
        return {
            "tutorial": self.name,
            "title": self.title,
            "results": self.data,
            "errata": [e.as_dict() for e in self.errata],
        }


def run(name, trace=False, **options) -> TutorialResult:
    """Run tutorial ``name`` (one of ``TUTORIALS``) and return its result."""
    if name not in TUTORIALS:
        raise ValueError(f"unknown tutorial {name!r}; expected one of {sorted(TUTORIALS)}")
    module = importlib.import_module(f"glassnet.tutorials.{name}")
    return module.run(trace=trace, **options)
