"""The README runs as a test: its examples are executed in README order and their output compared.

What each fenced block of README.md is for, and what this module does with it:

- ```python: executed in one namespace that every python and pycon block shares, with one temporary folder
  (the same for the whole module) as the working directory. What it prints must equal the ```text block that
  follows it with nothing but blank lines between them; a block that prints must have such a block. Warnings
  and anything written to stderr fail the block.
- ```pycon: each ``>>> `` statement (``... `` lines continue it) runs in that namespace; the lines below it,
  up to the next ``>>> ``, are what it prints followed, when it raises, by ``ExceptionType: message``.
- ```console: each ``$ command`` line runs with ``bash -o pipefail -c`` in the temporary folder, with the
  virtual environment's bin folder (that of ``sys.executable``) first in PATH, COLUMNS=80 so that argparse
  wraps its help as shown, and stdout and stderr merged in the order they were written (unbuffered, not a
  terminal, so no progress bar). The lines after it, up to the next ``$ ``, are its output. A command must
  exit with 0 unless it shows its exit code itself (``echo "exit code $?"``).
  A python block whose first line imports one of ``OPTIONAL`` (PyTorch, which glassnet does not depend on) runs
  only where that package imports; elsewhere its case is skipped with the reason, and blocks after it must not
  need its names.
- ```text: the output of the python block above it, or one of the Speed section's benchmark tables, the
  exemptions (see ``EXEMPT``).
- ```bash: shown and not run: the Quick start installs packages and the benchmark runs for minutes. Allowed
  in those two sections only; the Quick start's two commands are checked by their own test.

Any other fence language, an untagged fence included, fails ``test_every_block_has_a_known_language``, so
nothing is skipped silently. In expected output, a line that is exactly ``...`` (python/text and console
blocks) stands for any number of lines, zero included; every other line must equal the output's line, with
trailing spaces ignored. Numbers are therefore compared to the decimals the README prints.

Each python, pycon and console block is one test case named after its section. A case first runs the blocks
before it that have not run yet (so ``-k`` on one case works), and a failing case names the earlier blocks
that failed, since a later failure may only follow from theirs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

RUN = {"python", "pycon", "console"}
KNOWN = RUN | {"text", "bash"}
NOT_RUN_SECTIONS = {"bash": {"Quick start", "Speed"}}  # where a block that is shown but not run may stand
# The output blocks that are not compared: the benchmark tables are measured speed, different on every run
# and every machine. Each is identified by its section and its first line.
EXEMPT = {("Speed", "machine: "), ("Speed", "optimizer act ")}

# packages a python block may import on its first line that glassnet does not depend on: peers for examples
OPTIONAL = {"torch": "PyTorch is not installed here (pip install torch); glassnet does not depend on it"}
QUICK_START = ["pip install . && glassnet demo", 'pip install ".[test]" && python -m pytest']


@dataclass
class Block:
    lang: str
    lines: list
    line: int  # line number of the opening fence in README.md
    section: str  # the nearest heading above it
    output: Block | None = None  # for python: the text block right after it
    follows_python: bool = False  # for text: it comes right after a python block
    name: str = field(default="", repr=False)


def heading_text(line):
    return line.lstrip("#").strip().replace("`", "")


def slug(text, limit=40):
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0]
    return words


def parse_readme(text):
    """Every fenced block of the README, in order, with its section and line number."""
    blocks, section, current, previous_end = [], "", None, None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith(("```", "~~~")) and not line.startswith("```"):
            raise ValueError(f"README.md line {number}: this test reads only ``` fences at the start of a line")
        if current is None:
            if line.startswith("```"):
                current = Block(line[3:].strip(), [], number, section)
                prev = blocks[-1] if blocks else None
                if prev is not None and prev.lang == "python" and previous_end is not None:
                    between = lines[previous_end:number - 1]
                    current.follows_python = all(not b.strip() for b in between)
            elif line.startswith("#"):
                section = heading_text(line)
        elif line.startswith("```"):
            if line.strip() != "```":
                raise ValueError(f"README.md line {number}: a fence opens inside the block of line {current.line}")
            if current.lang == "text" and current.follows_python:
                blocks[-1].output = current
            blocks.append(current)
            current, previous_end = None, number
        else:
            current.lines.append(line)
    if current is not None:
        raise ValueError(f"README.md line {current.line}: the block is never closed")
    counts = {}
    for block in blocks:
        if block.lang in RUN:
            counts[block.section] = counts.get(block.section, 0) + 1
            block.name = f"{slug(block.section)}-{counts[block.section]}"
    return blocks


BLOCKS = parse_readme(README.read_text(encoding="utf-8"))
RUNNABLE = [block for block in BLOCKS if block.lang in RUN]


def optional_package(block):
    """The ``OPTIONAL`` package a python block imports on its first line, or None."""
    found = re.match(r"import (\w+)", block.lines[0]) if block.lang == "python" and block.lines else None
    return found.group(1) if found and found.group(1) in OPTIONAL else None


class Skipped(str):
    """Why a block did not run (not a failure)."""


def is_exempt(block):
    return any(block.section == section and block.lines[:1] and block.lines[0].startswith(first)
               for section, first in EXEMPT)


# ------------------------------------------------------------------ matching
def lines_match(expected, actual):
    """True when ``actual`` fits ``expected``, where an expected line ``...`` matches any run of lines."""
    expected = [line.rstrip() for line in expected]
    actual = [line.rstrip() for line in actual]
    # fits[j]: expected[i:] matches actual[j:], filled for i from the end
    fits = [j == len(actual) for j in range(len(actual) + 1)]
    for want in reversed(expected):
        if want == "...":
            new = fits[:]
            for j in range(len(actual) - 1, -1, -1):
                new[j] = fits[j] or new[j + 1]
        else:
            new = [j < len(actual) and actual[j] == want and fits[j + 1] for j in range(len(actual) + 1)]
        fits = new
    return fits[0]


def first_difference(expected, actual):
    """Where ``actual`` stops fitting ``expected``: ``(k, j)``, expected line ``k`` (None: the output runs on)
    and the output line ``j`` the match had reached."""
    expected = [line.rstrip() for line in expected]
    actual = [line.rstrip() for line in actual]
    reach = {0}  # output positions that expected[:k] can end at
    for k, want in enumerate(expected):
        if want == "...":
            new = set(range(min(reach), len(actual) + 1))
        else:
            new = {j + 1 for j in reach if j < len(actual) and actual[j] == want}
        if not new:
            return k, min(reach)
        reach = new
    return None, max(reach)


def mismatch(what, expected, actual):
    k, j = first_difference(expected, actual)
    if k is None:
        where = f"the README's lines end, but the output goes on at its line {j + 1}: {actual[j]!r}"
    else:
        found = repr(actual[j].rstrip()) if j < len(actual) else "the end of the output"
        where = f"the README's line {k + 1} of this output, {expected[k].rstrip()!r}, does not match; " \
                f"the output has {found} at its line {j + 1}"
    numbered = "\n".join(f"{n:4d}  {line}" for n, line in enumerate(actual, 1))
    return f"{what}\n{where} ('...' matches any lines)\n--- the whole output:\n{numbered}"


# ------------------------------------------------------------------ running
def console_commands(block):
    """``[(command, expected_lines), ...]`` of a console block."""
    commands = []
    for line in block.lines:
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif not commands:
            raise ValueError(f"console block of line {block.line} does not start with a '$ ' command")
        else:
            commands[-1][1].append(line)
    return commands


def pycon_statements(block):
    """``[(source, expected_lines), ...]`` of a pycon block."""
    statements = []
    for line in block.lines:
        if line.startswith(">>> "):
            statements.append([line[4:], []])
        elif not statements:
            raise ValueError(f"pycon block of line {block.line} does not start with a '>>> ' statement")
        elif line.startswith("... ") and not statements[-1][1]:
            statements[-1][0] += "\n" + line[4:]
        else:
            statements[-1][1].append(line)
    return [(source, expected) for source, expected in statements]


def shell_env():
    env = dict(os.environ)
    env.pop("GLASSNET_BLAS", None)  # the default, as a newcomer has it
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "80"
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as on a terminal
    return env


class ReadmeRun:
    """Runs the runnable blocks in README order, each once, and remembers how each went."""

    def __init__(self, folder):
        self.folder = folder
        self.namespace = {"__name__": "__readme__"}
        self.failures = []  # per block run so far: None, or why it failed

    def failure(self, k):
        while len(self.failures) <= k:
            block = RUNNABLE[len(self.failures)]
            package = optional_package(block)
            if package and importlib.util.find_spec(package) is None:
                self.failures.append(Skipped(OPTIONAL[package]))
                continue
            try:
                getattr(self, f"run_{block.lang}")(block)
                self.failures.append(None)
            except BlockFailed as exc:
                self.failures.append(str(exc))
        return self.failures[k]

    @contextlib.contextmanager
    def inside(self):
        """The tmp folder as cwd, stdout and stderr captured, warnings recorded."""
        out, err, cwd = io.StringIO(), io.StringIO(), os.getcwd()
        os.chdir(self.folder)
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(err):
                warnings.simplefilter("always")
                yield out, err, caught
        finally:
            os.chdir(cwd)

    def run_python(self, block):
        code = compile("\n".join(block.lines) + "\n", f"README.md, block of line {block.line}", "exec")
        with self.inside() as (out, err, caught):
            try:
                exec(code, self.namespace)
            except Exception:
                raise BlockFailed(f"the block raised:\n{traceback.format_exc()}") from None
        if caught:
            raise BlockFailed("the block warned: " + "; ".join(str(w.message) for w in caught))
        if err.getvalue():
            raise BlockFailed(f"the block wrote to stderr:\n{err.getvalue()}")
        printed = out.getvalue().splitlines()
        if block.output is None:
            if printed:
                raise BlockFailed("the block prints, but no ```text block after it shows what:\n" + "\n".join(printed))
            return
        if not lines_match(block.output.lines, printed):
            raise BlockFailed(mismatch(f"what it prints, against the ```text block of line {block.output.line}:",
                                      block.output.lines, printed))

    def run_pycon(self, block):
        for source, expected in pycon_statements(block):
            with self.inside() as (out, err, caught):
                try:
                    exec(compile(source + "\n", f"README.md, block of line {block.line}", "single"), self.namespace)
                    raised = []
                except Exception as exc:
                    raised = [f"{type(exc).__name__}: {exc}"]
            actual = out.getvalue().splitlines() + err.getvalue().splitlines() + raised
            if caught:
                raise BlockFailed(f">>> {source}\nwarned: " + "; ".join(str(w.message) for w in caught))
            if [line.rstrip() for line in expected] != [line.rstrip() for line in actual]:
                raise BlockFailed(mismatch(f">>> {source}", expected, actual))

    def run_console(self, block):
        for command, expected in console_commands(block):
            proc = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=self.folder, env=shell_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  text=True, timeout=600)
            actual = proc.stdout.splitlines()
            if proc.returncode != 0 and "$?" not in command:
                raise BlockFailed(f"$ {command}\nexited with {proc.returncode}:\n{proc.stdout}")
            if not lines_match(expected, actual):
                raise BlockFailed(mismatch(f"$ {command}", expected, actual))


class BlockFailed(Exception):
    pass


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    return ReadmeRun(tmp_path_factory.mktemp("readme"))


@pytest.mark.parametrize("k", range(len(RUNNABLE)), ids=[block.name for block in RUNNABLE])
def test_readme_block(k, readme_run):
    failure = readme_run.failure(k)
    if isinstance(failure, Skipped):
        pytest.skip(str(failure))
    if failure is not None:
        block = RUNNABLE[k]
        earlier = [RUNNABLE[i].name for i in range(k) if readme_run.failures[i] is not None
                   and not isinstance(readme_run.failures[i], Skipped)]
        note = (f"\n\n({len(earlier)} earlier block(s) failed too, the first {earlier[0]}; this failure may "
                "follow from theirs)" if earlier else "")
        pytest.fail(f"README.md line {block.line} ({block.lang} block in '{block.section}'): {failure}{note}",
                    pytrace=False)


# ------------------------------------------------------------------ structure
def test_every_block_has_a_known_language():
    unknown = [(block.line, block.lang or "(untagged)") for block in BLOCKS if block.lang not in KNOWN]
    assert unknown == [], f"README.md blocks whose fence language this test does not know (line, language): {unknown}"


def test_blocks_that_are_not_run_stand_where_they_may():
    misplaced = [(block.line, block.lang, block.section) for block in BLOCKS
                 if block.lang in NOT_RUN_SECTIONS and block.section not in NOT_RUN_SECTIONS[block.lang]]
    assert misplaced == []


def test_every_text_block_is_checked_output_or_an_exemption():
    exempt = [block.line for block in BLOCKS if block.lang == "text" and is_exempt(block)]
    orphans = [block.line for block in BLOCKS if block.lang == "text" and not block.follows_python
               and not is_exempt(block)]
    assert len(exempt) == len(EXEMPT), f"expected one block per exemption (the benchmark tables), found them at " \
                                       f"lines {exempt}"
    assert orphans == [], f"```text blocks that follow no python block, at lines {orphans}"


def test_there_is_something_to_run():
    kinds = {block.lang for block in RUNNABLE}
    assert kinds == RUN
    assert len(RUNNABLE) >= 15


def section_blocks(title):
    return [block for block in BLOCKS if block.section == title]


def test_quick_start_is_the_two_commands_and_ci_runs_the_second():
    blocks = section_blocks("Quick start")
    assert [block.lang for block in blocks] == ["bash"]
    commands = [line.strip() for line in blocks[0].lines if line.strip()]
    assert commands == QUICK_START
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert QUICK_START[1] in [line.strip() for line in ci]


def test_quick_start_prose_quotes_the_demo_block():
    text = README.read_text(encoding="utf-8")
    prose = text[text.index("## Quick start"):text.index("## Contents")]
    quoted = re.search(r"\((\d\.\d{4}) on (\d+) held-out digits\)", prose)
    assert quoted, "the Quick start no longer quotes the demo's test accuracy"
    (demo,) = [block for block in BLOCKS if block.section == "glassnet demo" and block.lang == "console"]
    assert f"test accuracy: {quoted[1]} on {quoted[2]} held-out digits" in demo.lines  # that block is run


@pytest.mark.parametrize(
    "expected, actual, fits",
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a", "b", "c"], False),
        (["a", "...", "d"], ["a", "b", "c", "d"], True),
        (["a", "...", "d"], ["a", "d"], True),
        (["a", "...", "d"], ["a", "b"], False),
        (["...", "x", "..."], ["a", "x", "b"], True),
        (["...", "x", "..."], ["a", "y", "b"], False),
        (["a  "], ["a"], True),
        (["1.0000"], ["1.0001"], False),
        ([], [], True),
        ([], [""], False),
    ],
)
def test_lines_match(expected, actual, fits):
    assert lines_match(expected, actual) is fits


def test_parse_readme_finds_sections_outputs_and_unclosed_blocks():
    text = "# A\n```python\nprint(1)\n```\n\n```text\n1\n```\n## B\nprose\n```console\n$ echo hi\nhi\n```\n"
    blocks = parse_readme(text)
    assert [(b.lang, b.section, b.line, b.name) for b in blocks] == [
        ("python", "A", 2, "a-1"), ("text", "A", 6, ""), ("console", "B", 11, "b-1")]
    assert blocks[0].output is blocks[1]
    assert console_commands(blocks[2]) == [("echo hi", ["hi"])]
    with pytest.raises(ValueError, match="never closed"):
        parse_readme("```python\nx = 1\n")
    for hidden in ("- item\n  ```python\n  x = 1\n  ```\n", "~~~python\nx = 1\n~~~\n"):
        with pytest.raises(ValueError, match="only ``` fences at the start of a line"):
            parse_readme(hidden)
    prose_between = parse_readme("```python\nprint(1)\n```\nsome words\n```text\n1\n```\n")
    assert prose_between[0].output is None and not prose_between[1].follows_python


def test_readme_names_the_tutorials_sources_by_author_and_title():
    """Not as "seed 000" to "seed 003", which reads like a --seed."""
    from glassnet import tutorials

    text = README.read_text(encoding="utf-8")
    assert "seed 00" not in text
    for source in tutorials.SOURCES.values():
        author, _, title = source.partition(", ")
        assert author in text and title.split('"')[1] in text, source
