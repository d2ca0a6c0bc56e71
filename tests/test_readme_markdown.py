"""README.md renders as its author wrote it: parsed as CommonMark (markdown-it-py), every
heading is a heading, every code fence closes where it was meant to, every local link resolves.

A fence closed on the same line as text (```` ``` The optimizers ````) is no closing fence in
CommonMark: the block then runs to the end of the page and swallows every later heading and
table. The author's intent is read line by line, independently of the parser: a fence ends
at the first later line that starts with three backticks.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

README = Path(__file__).resolve().parent.parent / "README.md"
HEADING_LINE = re.compile(r"^#{1,6}\s+\S")


def _tokens() -> tuple[list[str], list[Token]]:
    text = README.read_text(encoding="utf-8")
    # CommonMark with GitHub's tables: the course index and the layout are tables.
    return text.splitlines(), MarkdownIt("commonmark").enable("table").parse(text)


def _intended_code_lines(lines: list[str]) -> set[int]:
    """The 0-based lines inside fences as the author meant them (fence lines included)."""
    inside: set[int] = set()
    start = None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            if start is None:
                start = i
            else:
                inside.update(range(start, i + 1))
                start = None
    assert start is None, f"README.md line {start + 1}: a fence that is never closed"
    return inside


def _inline_tokens(tokens: list[Token]) -> list[Token]:
    return [child for t in tokens if t.type == "inline" for child in t.children or []]


def test_every_heading_line_of_the_readme_parses_as_a_heading() -> None:
    lines, tokens = _tokens()
    code = _intended_code_lines(lines)
    meant = [i for i, line in enumerate(lines) if HEADING_LINE.match(line) and i not in code]
    parsed = [t.map[0] for t in tokens if t.type == "heading_open" and t.map is not None]
    missing = [f"line {i + 1}: {lines[i]}" for i in meant if i not in parsed]
    assert not missing, f"README.md: these lines do not render as headings: {missing}"
    assert len(meant) >= 2  # the title and at least one section: the scan itself found them


def test_every_code_fence_of_the_readme_closes_on_a_line_of_its_own() -> None:
    lines, tokens = _tokens()
    fences = [t for t in tokens if t.type == "fence" and t.map is not None]
    assert fences
    for t in fences:
        assert t.map is not None
        first, end = t.map
        closing = lines[end - 1].strip() if end - 1 > first else ""
        assert closing == t.markup, (
            f"README.md line {first + 1}: the fence opened there has no closing line of its own "
            f"and runs to line {end} of {len(lines)}"
        )


def test_every_local_link_and_image_in_the_readme_exists() -> None:
    _, tokens = _tokens()
    targets = [
        str(t.attrs.get("href") or t.attrs.get("src") or "")
        for t in _inline_tokens(tokens)
        if t.type in ("link_open", "image")
    ]
    # the images of the tour are raw HTML: CommonMark leaves them as html_inline
    html = " ".join(t.content for t in _inline_tokens(tokens) if t.type == "html_inline")
    targets += re.findall(r'src="([^"]+)"', html)
    local = [t for t in targets if t and not re.match(r"^[a-z]+:|^#", t)]
    assert local, "the README links no local files: the course table should"
    absent = [t for t in local if not (README.parent / t).exists()]
    assert not absent, f"README.md links files that do not exist: {absent}"
