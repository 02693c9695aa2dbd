"""The documentation: README.md and docs/ build, and every reference in them resolves.

* ``mkdocs build --strict`` succeeds (broken links and anchors between pages are errors).
* Every relative link and image in README.md and docs/*.md names a file that exists, and
  an anchor into a Markdown file names one of its headings.
* Every repository path the pages quote as code (``emulator/...``, ``tests/...``) exists.
* No module or test cites the old draft pages, which the repository never contained.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tests.support.tools import missing

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("**/*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""")
_REPO_PATH = re.compile(r"^(?:emulator|tests|docs|fixtures|\.ci)/[\w./-]*\w$")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The text with fenced code blocks and HTML comments removed."""
    return _COMMENT.sub("", _FENCE.sub("", text))


def _targets(text: str) -> list[str]:
    prose = _CODE_SPAN.sub("", _prose(text))
    return _MD_LINK.findall(prose) + _HTML_LINK.findall(prose)


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's toc extension (used by mkdocs) gives a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = re.sub(r"(\*\*|__|\*)", "", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug, n = _slug(heading), 1
        while slug in found:
            slug = f"{_slug(heading)}_{n}"
            n += 1
        found.add(slug)
    return found


def _broken_links(page: Path) -> list[str]:
    broken = []
    for target in _targets(page.read_text(encoding="utf-8")):
        if _is_external(target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve()
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def _own_anchor_links(page: Path) -> list[str]:
    anchors = _anchors(page)
    return [
        t
        for t in _targets(page.read_text(encoding="utf-8"))
        if t.startswith("#") and t[1:] not in anchors
    ]


def test_the_pages_exist() -> None:
    assert (ROOT / "docs" / "index.md") in PAGES
    assert len(PAGES) > 2


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_that_exist(page: Path) -> None:
    broken = _broken_links(page) + [f"{t}: no heading here" for t in _own_anchor_links(page)]
    assert broken == [], f"{page.relative_to(ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_quoted_repository_paths_exist(page: Path) -> None:
    quoted = _CODE_SPAN.findall(_prose(page.read_text(encoding="utf-8")))
    paths = [q for q in quoted if _REPO_PATH.match(q)]
    missing = [p for p in paths if not (ROOT / p.rstrip("/")).exists()]
    assert missing == [], f"{page.relative_to(ROOT)} quotes paths that do not exist: {missing}"


def test_no_code_cites_the_draft_pages() -> None:
    draft = "docs-" + "draft/"  # spelled apart so this file does not cite it itself
    citing = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("emulator", "tests")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file() and path.suffix in {".py", ".md", ".toml", ".json", ".txt"}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if draft in line
    ]
    assert citing == [], f"{draft} is not in the repository; cite docs/ instead: {citing}"


def test_mkdocs_builds_strictly(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        missing("mkdocs", "it comes with the test extras: pip install -e '.[test]'")
    config, site = str(ROOT / "mkdocs.yml"), str(tmp_path / "site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", config, "-d", site],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
