"""The four tutorials, rebuilt on glassnet's public API.

Each tutorial module has ``run(trace=False, **options) -> TutorialResult``. A
result holds text sections for people, ``data`` for machines (matrices under
the tutorial's own symbols) and the tutorial's errata.

A section is a list of parts: explanatory text is marked as ``Prose`` and is
wrapped to the reader's width by ``TutorialResult.text(width)``; named matrices
are ``Matrices`` and a traced training step is a ``Step``; every other part (a
table, a formula) is printed as it is. ``TutorialResult.markup("markdown")`` and
``markup("html")`` write the same sections as a document (``glassnet.report``):
matrices typeset, and every formula of a ``Step`` with its numbers.
"""

from __future__ import annotations

import importlib
import textwrap
from dataclasses import dataclass, field

TUTORIALS = {
    "stairs": "The stairs worked example",
    "sandhu": "A 1-4-3-1 network step by step",
    "rashid": "From a bug classifier to MNIST",
    "desai": "Softmax regression on 16 rows",
}
# What each tutorial rebuilds: author and title of the text it follows.
SOURCES = {
    "stairs": 'Ben Gorman (GormAnalysis), "Introduction to Neural Networks, Part 2: A Worked Example"',
    "sandhu": 'Angad Sandhu, "Understanding neural networks using an example"',
    "rashid": 'Tariq Rashid, "Make Your Own Neural Network" (the book)',
    "desai": 'Shubhang Desai, "A soft introduction to neural networks"',
}


@dataclass(frozen=True)
class Prose:
    """Explanatory text of a section: each line is a paragraph, wrapped when the result is printed."""

    text: str

    def lines(self, width=None) -> list:
        return wrap(self.text, width)


def wrap(text, width=None, indent=None) -> list:
    """``text``'s lines, each wrapped to ``width`` columns (None: as they are).

    A continuation line starts with ``indent``, by default the wrapped line's own
    leading spaces. Words are never split, so a word longer than the width stays whole.
    """
    out = []
    for line in text.split("\n"):
        if width is None or len(line) <= width:
            out.append(line)
            continue
        hanging = indent if indent is not None else line[: len(line) - len(line.lstrip(" "))]
        out += textwrap.wrap(line, width, subsequent_indent=hanging, break_long_words=False,
                             break_on_hyphens=False)
    return out


@dataclass(frozen=True)
class Matrices:
    """Named matrices, printed as ``glassnet.format_matrix`` aligns them (typeset in Markdown and HTML)."""

    items: dict
    decimals: int = 5

    def lines(self, width=None) -> list:
        import glassnet

        return "\n\n".join(glassnet.format_matrix(v, k, self.decimals) for k, v in self.items.items()).split("\n")


@dataclass(frozen=True)
class Step:
    """A traced training step: ``trace.render(notation)`` in text; in Markdown and HTML every matrix and every
    formula with its numbers (``glassnet.report``)."""

    trace: object
    notation: str = "standard"

    def lines(self, width=None) -> list:
        return self.trace.render(self.notation).split("\n")


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
    """What a tutorial run produced: text sections for people, ``data`` and errata for machines and people.

    ``title`` and ``source`` default to the tutorial's entries in ``TUTORIALS`` and ``SOURCES``.
    """

    name: str
    title: str = ""
    sections: list = field(default_factory=list)  # (heading, parts) pairs; a part is a str or Prose
    data: dict = field(default_factory=dict)  # JSON-ready numbers, tutorial's symbols
    errata: list = field(default_factory=list)  # Erratum objects
    source: str = ""

    def __post_init__(self):
        self.title = self.title or TUTORIALS.get(self.name, self.name)
        self.source = self.source or SOURCES.get(self.name, "")

    def add(self, heading, *parts):
        """A section: its parts are printed one after the other, each starting on a new line.

        A ``Prose`` part is wrapped to the output's width; a str part (a matrix, a table, a
        formula) is printed as it is. An empty str gives a blank line.
        """
        self.sections.append((heading, parts))

    def text(self, width=None) -> str:
        """The whole tutorial as text; prose, headings and errata wrapped to ``width`` columns (None: unwrapped)."""
        out = [self.title, "=" * len(self.title)]
        if self.source:
            out += wrap(f"Rebuilt with glassnet from {self.source}.", width)
        for heading, parts in self.sections:
            out += ["", *wrap(f"-- {heading} --", width, indent="   ")]
            for part in parts:
                out += [part] if isinstance(part, str) else part.lines(width)
        out += ["", "-- Errata --"]
        for i, e in enumerate(self.errata, 1):
            out += wrap(f"{i}. {e.where}: {e.says}", width, indent="   ")
            out += wrap(f"   glassnet: {e.fix}", width, indent=" " * len("   glassnet: "))
        return "\n".join(out)

    def markup(self, format="markdown") -> str:
        """The whole tutorial as a ``"markdown"`` or ``"html"`` document (``glassnet.markup``): matrices typeset,
        every formula of each ``Step`` with its numbers; ``"text"`` is ``text()``."""
        import glassnet

        if format == "text":
            return self.text()
        doc = glassnet.report.Document(self.title)
        if self.source:
            doc.para(f"Rebuilt with glassnet from {self.source}.")
        for heading, parts in self.sections:
            doc.heading(heading)
            for part in parts:
                if isinstance(part, Prose):
                    for line in part.text.split("\n"):
                        doc.para(line)
                elif isinstance(part, Matrices):
                    for name, value in part.items.items():
                        doc.matrix(name, value, part.decimals)
                elif isinstance(part, Step):
                    glassnet.report.add_step(doc, part.trace, part.notation, level=3)
                elif part:
                    doc.pre(part)
        doc.heading("Errata")
        doc.numbered(f"{e.where}: {e.says}; glassnet: {e.fix}" for e in self.errata)
        return doc.render(format)

    def as_dict(self) -> dict:
        return {
            "tutorial": self.name,
            "title": self.title,
            "source": self.source,
            "results": self.data,
            "errata": [e.as_dict() for e in self.errata],
        }


def run(name, trace=False, **options) -> TutorialResult:
    """Run tutorial ``name`` (one of ``TUTORIALS``) and return its result."""
    if name not in TUTORIALS:
        raise ValueError(f"unknown tutorial {name!r}; expected one of {sorted(TUTORIALS)}")
    module = importlib.import_module(f"glassnet.tutorials.{name}")
    return module.run(trace=trace, **options)
