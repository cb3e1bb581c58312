"""Documents with equations, written as text, Markdown or HTML: what ``glassnet.report`` builds reports on.

A ``Document`` holds headings, paragraphs, preformatted text, tables and equations. An equation is
a list of *sides* joined by relations (``=``, ``<-``); a side is a list of math items (``Sym``, ``Num``,
``Mat``, operators, ...) that each format writes its own way:

* text: aligned matrices in square brackets, side by side while the equation fits in ``width`` columns,
  else the symbols on one line and the result below;
* Markdown: LaTeX (``\\begin{bmatrix} ... \\end{bmatrix}`` inside ``$$``), which GitHub and Jupyter render;
* HTML: MathML, which current browsers render natively: one self-contained page with inline CSS, no script
  and no link, that opens offline.

Matrices larger than 8 rows or columns show their corners and state their shape.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass

import numpy as np

from glassnet.checks import choice
from glassnet.render import format_number

FORMATS = ("text", "markdown", "html")
EQUATION_WIDTH = 120  # text: the matrices of an equation side by side up to this width, else the result alone
SHOWN = 8  # a matrix with more rows (columns) than this shows its first 6, an ellipsis and its last


# ------------------------------------------------------------------ math items
@dataclass(frozen=True)
class Sym:
    """A symbol: ``base`` with a ``layer`` number (a superscript in math, appended in text: ``Z1``), a 1-based
    ``index`` (``(1, 2)``: row 1, column 2; letters for a general entry), a hat (``Yhat``) or a transpose."""

    base: str
    layer: int | None = None
    index: tuple = ()
    hat: bool = False
    T: bool = False


@dataclass(frozen=True)
class Num:
    """A number; a negative one in parentheses when ``paren`` (inside a sum or product)."""

    value: float
    decimals: int = 5
    paren: bool = True


@dataclass(frozen=True)
class Mat:
    """A matrix (a 1-D array is one row); whole numbers are shown without decimals."""

    value: np.ndarray
    decimals: int = 5


@dataclass(frozen=True)
class Fn:
    """``name(items)``."""

    name: str
    items: tuple


@dataclass(frozen=True)
class Paren:
    items: tuple


@dataclass(frozen=True)
class Frac:
    top: tuple
    bottom: tuple


@dataclass(frozen=True)
class Exp:
    """``e`` to the power ``items``."""

    items: tuple


@dataclass(frozen=True)
class Square:
    items: tuple


@dataclass(frozen=True)
class Sum:
    """The summation sign over ``index``."""

    index: str


@dataclass(frozen=True)
class Block:
    """A row of symbolic blocks in brackets: ``[1 | A1]``."""

    cells: tuple


@dataclass(frozen=True)
class Words:
    text: str


# Operators: (text, LaTeX, MathML).
OPS = {
    "=": ("=", "=", "="), "<-": ("<-", r"\leftarrow", "\u2190"), "+": ("+", "+", "+"),
    "-": ("-", "-", "\u2212"), "@": ("@", r"\,", "\u2062"), "*": ("*", r"\odot", "\u2299"),
    ".": ("*", r"\cdot", "\u22c5"), "/": ("/", "/", "/"), "...": ("...", r"\cdots", "\u22ef"),
    ">": (">", ">", ">"), ",": (",", ",", ","),
}


def _index_text(index, sep=","):
    return sep.join(str(k) for k in index)


def _tex_index(index):
    big = any(isinstance(k, int) and k > 9 for k in index)
    return _index_text(index, "," if big else "")


def _num_text(x, decimals):
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else format_number(x, decimals)


def _cells(M, decimals):
    """The shown cells of matrix ``M`` as text (None: an elided row or column), and whether any were elided."""
    A = np.atleast_2d(np.asarray(M, dtype=np.float64))
    places = 0 if np.all(A == np.round(A)) else decimals

    def shown(n):
        return list(range(n)) if n <= SHOWN else [*range(SHOWN - 2), None, n - 1]

    rows, cols = shown(A.shape[0]), shown(A.shape[1])
    cells = [[None if (i is None or j is None) else format_number(A[i, j], places) for j in cols] for i in rows]
    marks = [[("ddots" if i is None and j is None else "vdots" if i is None else "cdots") if c is None else c
              for c, j in zip(row, cols)] for row, i in zip(cells, rows)]
    return marks, A.shape, len(rows) < A.shape[0] or len(cols) < A.shape[1]


# ------------------------------------------------------------------ text
class _Box:
    """Lines of text with a baseline (the row an equation's signs stand on)."""

    def __init__(self, lines, base=0):
        self.lines, self.base = lines, base

    @property
    def width(self):
        return max((len(s) for s in self.lines), default=0)


def _hcat(boxes, sep=" "):
    boxes = [b for b in boxes if b.lines]
    above = max(b.base for b in boxes)
    below = max(len(b.lines) - b.base - 1 for b in boxes)
    rows = [""] * (above + below + 1)
    for k, b in enumerate(boxes):
        top, w = above - b.base, b.width
        for r in range(len(rows)):
            line = b.lines[r - top] if 0 <= r - top < len(b.lines) else ""
            rows[r] += (sep if k else "") + line.ljust(w)
    return _Box([r.rstrip() for r in rows], above)


def _word(text):
    return _Box([text])


TEXT_MARKS = {"cdots": "...", "vdots": ":", "ddots": "."}


def _text(item) -> _Box:
    if isinstance(item, str):
        return _word(OPS[item][0] if item in OPS else item)
    if isinstance(item, (list, tuple)):
        if len(item) > 1 and item[0] == "-":  # a leading minus sign stays with what it negates
            return _hcat([_word("-"), _text(item[1:])], sep="")
        if not item:
            return _word("")
        boxes = [_text(item[0])]
        for i in item[1:]:  # a comma stays with what comes before it
            boxes = boxes[:-1] + [_hcat([boxes[-1], _word(",")], sep="")] if i == "," else boxes + [_text(i)]
        return _hcat(boxes)
    if isinstance(item, Sym):
        name = item.base + ("hat" if item.hat else "") + ("" if item.layer is None else str(item.layer))
        return _word(name + (".T" if item.T else "") + (f"[{_index_text(item.index)}]" if item.index else ""))
    if isinstance(item, Num):
        text = _num_text(item.value, item.decimals)
        return _word(f"({text})" if item.paren and text.startswith("-") else text)
    if isinstance(item, Mat):
        cells, shape, elided = _cells(item.value, item.decimals)
        cells = [[TEXT_MARKS.get(c, c) for c in row] for row in cells]
        width = max(len(c) for row in cells for c in row)
        lines = ["[ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in cells]
        return _Box(lines + ([f"({shape[0]} x {shape[1]})"] if elided else []), (len(cells) - 1) // 2)
    if isinstance(item, Fn):
        return _hcat([_word(item.name + "("), _text(item.items), _word(")")], sep="")
    if isinstance(item, Paren):
        return _hcat([_word("("), _text(item.items), _word(")")], sep="")
    if isinstance(item, Frac):
        return _hcat([_text(_grouped(item.top)), _word("/"), _text(_grouped(item.bottom))])
    if isinstance(item, Exp):
        return _hcat([_word("exp("), _text(item.items), _word(")")], sep="")
    if isinstance(item, Square):
        return _hcat([_text(Paren(item.items)), _word("^2")], sep="")
    if isinstance(item, Sum):
        return _word(f"sum_{item.index}")
    if isinstance(item, Block):
        return _word("[" + " | ".join(_text(c).lines[0] for c in item.cells) + "]")
    if isinstance(item, Words):
        return _word(item.text)
    raise TypeError(f"not a math item: {item!r}")


def _grouped(items):
    """``items`` as one factor: in parentheses when they are more than one item."""
    return items if len(items) == 1 else (Paren(tuple(items)),)


def _has_matrix(item):
    if isinstance(item, Mat):
        return True
    if isinstance(item, (list, tuple)):
        return any(_has_matrix(i) for i in item)
    return any(_has_matrix(getattr(item, f)) for f in ("items", "top", "bottom", "cells") if hasattr(item, f))


def _equation_text(sides, rels, width):
    full = _text(_joined(sides, rels))
    if full.width <= width or not _has_matrix(sides[-1]):
        return full.lines
    # too wide for the matrices side by side: the symbols on one line, then the result
    symbolic = [k for k, s in enumerate(sides) if not _has_matrix(s)]
    lines = _text(_joined([sides[k] for k in symbolic], [rels[k - 1] for k in symbolic[1:]])).lines
    return (lines if len(symbolic) > 1 else []) + _text([*sides[0], "=", *sides[-1]]).lines


def _joined(sides, rels):
    items = list(sides[0])
    for rel, side in zip(rels, sides[1:]):
        items += [rel, *side]
    return items


# ------------------------------------------------------------------ LaTeX
def _tex(item) -> str:
    if isinstance(item, str):
        return OPS[item][1] if item in OPS else item
    if isinstance(item, (list, tuple)):
        return " ".join(_tex(i) for i in item)
    if isinstance(item, Sym):
        base = item.base if len(item.base) == 1 or item.base in ("dW", "dZ", "dA", "db", "dX") else \
            rf"\mathrm{{{item.base}}}"
        text = rf"\hat{{{base}}}" if item.hat else base
        if item.layer is not None:
            text += f"^{{{item.layer}}}"
        if item.index:
            text += f"_{{{_tex_index(item.index)}}}"
        return rf"{{{text}}}^{{\top}}" if item.T else text
    if isinstance(item, Num):
        text = _num_text(item.value, item.decimals)
        return f"({text})" if item.paren and text.startswith("-") else text
    if isinstance(item, Mat):
        cells, shape, elided = _cells(item.value, item.decimals)
        rows = r" \\ ".join(" & ".join(c if c[0] in "-0123456789" else "\\" + c for c in row) for row in cells)
        matrix = rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"
        return rf"\underset{{{shape[0]} \times {shape[1]}}}{{{matrix}}}" if elided else matrix
    if isinstance(item, Fn):
        name = f"\\{item.name}" if item.name in ("log", "max", "tanh", "exp") else rf"\operatorname{{{item.name}}}"
        return rf"{name}\left({_tex(item.items)}\right)"
    if isinstance(item, Paren):
        return rf"\left({_tex(item.items)}\right)"
    if isinstance(item, Frac):
        return rf"\frac{{{_tex(item.top)}}}{{{_tex(item.bottom)}}}"
    if isinstance(item, Exp):
        return f"e^{{{_tex(item.items)}}}"
    if isinstance(item, Square):
        return rf"\left({_tex(item.items)}\right)^{{2}}"
    if isinstance(item, Sum):
        return rf"\sum_{{{item.index}}}"
    if isinstance(item, Block):
        return r"\begin{bmatrix} " + r" & ".join(_tex(c) for c in item.cells) + r" \end{bmatrix}"
    if isinstance(item, Words):
        return rf"\text{{{_tex_escape(item.text)}}}"
    raise TypeError(f"not a math item: {item!r}")


def _tex_escape(text):
    return re.sub(r"([\\{}_^#$%&~])", lambda m: "\\textbackslash{}" if m[1] == "\\" else "\\" + m[1], text)


# ------------------------------------------------------------------ MathML
def _mo(op):
    return f"<mo>{html.escape(op)}</mo>"


def _mml(item) -> str:
    if isinstance(item, str):
        if item in OPS:
            return _mo(OPS[item][2])
        if re.fullmatch(r"[0-9.]+", item):
            return f"<mn>{item}</mn>"
        return f"<mi>{html.escape(item)}</mi>" if item.isalpha() else _mo(item)
    if isinstance(item, (list, tuple)):
        return "<mrow>" + "".join(_mml(i) for i in item) + "</mrow>"
    if isinstance(item, Sym):
        base = f"<mi>{html.escape(item.base)}</mi>"
        if item.hat:
            base = f'<mover accent="true">{base}<mo>^</mo></mover>'
        sup = None if item.layer is None else f"<mn>{item.layer}</mn>"
        sub = None
        if item.index:
            parts = [f"<mn>{k}</mn>" if isinstance(k, int) else f"<mi>{html.escape(k)}</mi>" for k in item.index]
            comma = "<mo>,</mo>" if any(isinstance(k, int) and k > 9 for k in item.index) else ""
            sub = "<mrow>" + comma.join(parts) + "</mrow>"
        text = (f"<msubsup>{base}{sub}{sup}</msubsup>" if sub and sup else f"<msub>{base}{sub}</msub>" if sub
                else f"<msup>{base}{sup}</msup>" if sup else base)
        return f'<msup><mrow>{text}</mrow><mi mathvariant="normal">T</mi></msup>' if item.T else text
    if isinstance(item, Num):
        text = _num_text(item.value, item.decimals).replace("-", "\u2212")
        return f"<mrow><mo>(</mo><mn>{text}</mn><mo>)</mo></mrow>" if item.paren and text[0] == "\u2212" else \
            f"<mn>{text}</mn>"
    if isinstance(item, Mat):
        cells, shape, elided = _cells(item.value, item.decimals)
        marks = {"cdots": "\u22ef", "vdots": "\u22ee", "ddots": "\u22f1"}
        rows = "".join("<mtr>" + "".join(
            f"<mtd><mo>{marks[c]}</mo></mtd>" if c in marks else f"<mtd><mn>{c.replace('-', chr(0x2212))}</mn></mtd>"
            for c in row) + "</mtr>" for row in cells)
        matrix = f'<mtable class="matrix">{rows}</mtable>'
        if elided:
            matrix = f"<munder>{matrix}<mrow><mn>{shape[0]}</mn><mo>\u00d7</mo><mn>{shape[1]}</mn></mrow></munder>"
        return matrix
    if isinstance(item, Fn):
        return f"<mrow><mi>{html.escape(item.name)}</mi><mo>\u2061</mo>{_mml(Paren(item.items))}</mrow>"
    if isinstance(item, Paren):
        return f"<mrow><mo>(</mo>{_mml(item.items)}<mo>)</mo></mrow>"
    if isinstance(item, Frac):
        return f"<mfrac>{_mml(item.top)}{_mml(item.bottom)}</mfrac>"
    if isinstance(item, Exp):
        return f"<msup><mi>e</mi>{_mml(item.items)}</msup>"
    if isinstance(item, Square):
        return f"<msup>{_mml(Paren(item.items))}<mn>2</mn></msup>"
    if isinstance(item, Sum):
        return f"<munder><mo>\u2211</mo><mi>{html.escape(item.index)}</mi></munder>"
    if isinstance(item, Block):
        return '<mtable class="matrix"><mtr>' + "".join(f"<mtd>{_mml(c)}</mtd>" for c in item.cells) + "</mtr></mtable>"
    if isinstance(item, Words):
        return f"<mtext>{html.escape(item.text)}</mtext>"
    raise TypeError(f"not a math item: {item!r}")


# ------------------------------------------------------------------ documents
CSS = """
.glassnet { font-family: system-ui, sans-serif; line-height: 1.45; max-width: 70rem; margin: 0 auto; padding: 0 1rem; }
.glassnet math[display="block"] { display: block; overflow-x: auto; margin: 0.6rem 0; padding: 0.2rem 0; }
.glassnet mtd { padding: 0.1em 0.45em; }
.glassnet mtd > mn { display: block; }
/* square brackets drawn with borders: they stretch to any matrix, with or without a math font */
.glassnet mtable.matrix { border-left: 1.5px solid; border-right: 1.5px solid; padding: 0 0.1em; margin: 0 0.15em;
  background: linear-gradient(currentColor, currentColor) top left / 0.4em 1.5px no-repeat,
    linear-gradient(currentColor, currentColor) bottom left / 0.4em 1.5px no-repeat,
    linear-gradient(currentColor, currentColor) top right / 0.4em 1.5px no-repeat,
    linear-gradient(currentColor, currentColor) bottom right / 0.4em 1.5px no-repeat; }
.glassnet math { font-family: math; }
.glassnet pre { background: #f6f8fa; padding: 0.6rem; overflow-x: auto; }
.glassnet table { border-collapse: collapse; margin: 0.6rem 0; }
.glassnet th, .glassnet td { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: right; }
.glassnet th:first-child, .glassnet td:first-child { text-align: left; }
.glassnet h3 { margin-bottom: 0.2rem; }
"""


def _md_escape(text):
    return re.sub(r"([\\`*_\[\]<>$|#])", r"\\\1", str(text))


class Document:
    """A report as blocks: headings, paragraphs, preformatted text, equations, tables and numbered lists.

    ``render(format)`` writes it as ``"text"``, ``"markdown"`` or ``"html"`` (a whole page; ``fragment=True``
    gives an element to embed, as Jupyter does).
    """

    def __init__(self, title=None):
        self.title = title
        self.blocks = []

    def heading(self, text, level=2):
        self.blocks.append(("heading", level, text))

    def para(self, text):
        self.blocks.append(("para", text))

    def pre(self, text):
        self.blocks.append(("pre", text))

    def equation(self, *sides, rels=None):
        """``sides[0] = sides[1] = ...``; ``rels`` gives the relations between them (default all ``=``)."""
        sides = [tuple(s) if isinstance(s, (list, tuple)) else (s,) for s in sides]
        rels = list(rels or ["="] * (len(sides) - 1))
        self.blocks.append(("equation", sides, rels))

    def matrix(self, name, M, decimals=5):
        """``name = M``; ``name`` is a Sym, or text (``"Z1"`` becomes Z with layer 1)."""
        self.equation(symbol(name) if isinstance(name, str) else name, Mat(np.asarray(M), decimals))

    def table(self, header, rows):
        self.blocks.append(("table", [str(h) for h in header], [[str(c) for c in row] for row in rows]))

    def numbered(self, items):
        self.blocks.append(("numbered", [str(i) for i in items]))

    def render(self, format="text", width=None, fragment=False) -> str:
        """The document as ``format``: text (prose wrapped to ``width`` columns when given; the matrices of an
        equation side by side while they fit in ``EQUATION_WIDTH`` columns, or ``width`` if wider), Markdown, or
        HTML."""
        format = choice("format", format, FORMATS)
        return getattr(self, f"_{format}")(width, fragment)

    def _text(self, width, fragment):
        out = [self.title, "=" * len(self.title)] if self.title else []
        for block in self.blocks:
            kind = block[0]
            if out:
                out.append("")
            if kind == "heading":
                out.append(f"== {block[2]} ==" if block[1] <= 2 else f"-- {block[2]} --")
            elif kind == "para":
                out += textwrap.wrap(block[1], width, break_long_words=False) if width else [block[1]]
            elif kind == "pre":
                out.append(block[1])
            elif kind == "equation":
                out += _equation_text(block[1], block[2], max(width or 0, EQUATION_WIDTH))
            elif kind == "table":
                rows = [block[1], *block[2]]
                widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
                lines = ["  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths)))
                         for r in rows]
                out += [lines[0], "-" * len(lines[0]), *lines[1:]]
            else:
                out += [f"{k}. {item}" for k, item in enumerate(block[1], 1)]
        return "\n".join(line.rstrip() for line in out)

    def _markdown(self, width, fragment):
        out = [f"# {_md_escape(self.title)}"] if self.title else []
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                out.append("#" * block[1] + " " + _md_escape(block[2]))
            elif kind == "para":
                out.append(_md_escape(block[1]))
            elif kind == "pre":
                out.append(f"```text\n{block[1]}\n```")
            elif kind == "equation":
                out.append(f"$${_tex(_joined(block[1], block[2]))}$$")
            elif kind == "table":
                rows = [block[1], *block[2]]
                lines = ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
                lines.insert(1, "|" + "|".join("---" if k == 0 else "---:" for k in range(len(rows[0]))) + "|")
                out.append("\n".join(lines))
            else:
                out.append("\n".join(f"{k}. {_md_escape(item)}" for k, item in enumerate(block[1], 1)))
        return "\n\n".join(out) + "\n"

    def _html(self, width, fragment):
        out = [f"<h1>{html.escape(self.title)}</h1>"] if self.title else []
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                out.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
            elif kind == "para":
                out.append(f"<p>{html.escape(block[1])}</p>")
            elif kind == "pre":
                out.append(f"<pre>{html.escape(block[1])}</pre>")
            elif kind == "equation":
                out.append(f'<math display="block">{_mml(_joined(block[1], block[2]))}</math>')
            elif kind == "table":
                head = "".join(f"<th>{html.escape(c)}</th>" for c in block[1])
                body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in block[2])
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            else:
                out.append("<ol>" + "".join(f"<li>{html.escape(i)}</li>" for i in block[1]) + "</ol>")
        body = "\n".join(out)
        if fragment:
            return f'<div class="glassnet"><style>{CSS}</style>\n{body}\n</div>'
        title = html.escape(self.title or "glassnet")
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
                f'<style>{CSS}</style>\n</head>\n<body>\n<main class="glassnet">\n{body}\n</main>\n</body>\n</html>\n')


def symbol(name) -> Sym | Words:
    """A name as a math symbol: ``Z1`` (Z, layer 1), ``dW2``, ``Yhat``, ``X``; anything else as words."""
    found = re.fullmatch(r"(d?[A-Za-z])(hat)?(\d*)", name)
    if not found:
        return Words(name)
    return Sym(found[1], int(found[3]) if found[3] else None, hat=bool(found[2]))
