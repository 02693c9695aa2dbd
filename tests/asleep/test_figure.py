"""The page of hypnograms in docs/ is the current generator's, and well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from emulator.asleep.figure import DEFAULT_PATH, SAMPLES, main, render

REPO = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def test_committed_picture_is_up_to_date() -> None:
    committed = (REPO / DEFAULT_PATH).read_text(encoding="utf-8")
    # If this fails after a generator change: python -m emulator.asleep.figure
    assert committed == render()


def test_render_is_deterministic_svg_with_one_panel_per_sample() -> None:
    page = render()
    assert page == render()
    root = ET.fromstring(page)
    assert root.tag == f"{SVG}svg"
    titles = [t for t in root.iter(f"{SVG}text") if t.get("class") == "title"]
    assert len(titles) == len(SAMPLES) + 1  # a header, then one per night
    assert {s.profile.value for s in SAMPLES} <= {t.text for t in titles}


def test_main_writes_the_page(tmp_path: Path) -> None:
    target = tmp_path / "img" / "nights.svg"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render()
