"""The HTML page: self-contained, safe against hostile text, and working in real headless Chromium."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import trio

from swarm.graph.html import inline_svg, json_for_script, render_html
from swarm.graph.model import build_graph
from swarm.graph.svg import render_svg
from swarm.runlog import RunLog
from tests.swarm.graph.chromium import chromium_path, open_chromium
from tests.swarm.recorded_run import CALLER, SYMBOL, RecordedRun

ROOT = Path(__file__).resolve().parents[3]
# Set SWARM_UPDATE_SCREENSHOT=1 to refresh the README's screenshot from this test.
DOCS_SCREENSHOT = ROOT / "docs" / "graph.png"


def _graph(recorded: RecordedRun):
    with RunLog.open(recorded.runlog, create=False) as log:
        return build_graph(log.snapshot(recorded.run_id))


def test_page_is_self_contained(recorded: RecordedRun) -> None:
    graph = _graph(recorded)
    page = render_html(graph, render_svg(graph))
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external resources"
    assert "<?xml" not in page and page.count("<svg") >= 1
    data = page.split('<script type="application/json" id="run-data">')[1].split("</script>")[0]
    assert json.loads(data)["run"]["id"] == recorded.run_id
    assert "http-equiv" not in page  # a finished run does not refresh itself


def test_refresh_only_when_asked(recorded: RecordedRun) -> None:
    page = render_html(_graph(recorded), None, refresh_s=2)
    assert '<meta http-equiv="refresh" content="2">' in page


def test_hostile_text_cannot_end_the_script(recorded: RecordedRun) -> None:
    graph = _graph(recorded)
    run = dataclasses.replace(graph.run, issue="</script><script>alert(1)</script> {{DATA}} \u2028")
    page = render_html(dataclasses.replace(graph, run=run), None)
    assert "alert(1)</script>" not in page
    assert page.count("\\u003c/script\\u003e") == 2
    data = page.split('<script type="application/json" id="run-data">')[1].split("</script>")[0]
    assert json.loads(data)["run"]["issue"] == run.issue  # the placeholder text stays text
    assert json.loads(json_for_script({"a": "</script>"})) == {"a": "</script>"}


def test_inline_svg_drops_the_prolog() -> None:
    assert inline_svg('<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg id="x"></svg>') == '<svg id="x"></svg>'


needs_chromium = pytest.mark.skipif(
    chromium_path() is None, reason="chromium is not installed; `scripts/setup test` installs it (Debian chromium)"
)

PAGE_CHECK = """(() => {
  const text = document.body.innerText;
  return {
    title: document.title,
    nodes: document.querySelectorAll('#graph g.node').length,
    rows: document.querySelectorAll('#timeline tr.msg').length,
    proposals: document.querySelectorAll('#proposals .proposal').length,
    text: text,
  };
})()"""


async def _check_page(url: str, profile: Path, recorded: RecordedRun, shot: Path, expect_nodes: int) -> None:
    async with open_chromium(profile) as browser:
        await browser.load(url)
        found = await browser.evaluate(PAGE_CHECK)
        assert found["nodes"] == expect_nodes
        assert found["rows"] == 10 and found["proposals"] == 2
        for needle in ("BulkDiscount.applies_to", "Cart.total", "Do you pass the line quantity", recorded.run_id,
                       "rejected by auto: tests fail", "2 model calls"):  # fmt: skip
            assert needle in found["text"], needle
        await browser.click("#node-" + str(expect_nodes and _index(found, recorded)))
        title = await browser.evaluate("document.getElementById('details-title').textContent")
        assert title == "BulkDiscount.applies_to"
        cards = await browser.evaluate("document.querySelectorAll('#details .proposal pre.diff .add').length")
        assert cards >= 2  # both proposals' diffs are shown for the clicked symbol
        assert await browser.evaluate("location.hash") == "#node=" + SYMBOL.replace("/", "%2F").replace(":", "%3A")
        shot.write_bytes(await browser.screenshot())
        assert browser.console_errors == []


def _index(found: dict, recorded: RecordedRun) -> int:
    graph = _graph(recorded)
    return [n.id for n in graph.nodes].index(SYMBOL)


@needs_chromium
def test_page_in_headless_chromium(recorded: RecordedRun, tmp_path: Path) -> None:
    graph = _graph(recorded)
    page = tmp_path / "graph.html"
    page.write_text(render_html(graph, render_svg(graph)), encoding="utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    shot = tmp_path / "graph.png"
    trio.run(_check_page, page.as_uri(), profile, recorded, shot, len(graph.nodes))
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    if os.environ.get("SWARM_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, DOCS_SCREENSHOT)


@needs_chromium
def test_page_without_graphviz_lays_out_itself(recorded: RecordedRun, tmp_path: Path) -> None:
    graph = _graph(recorded)
    page = tmp_path / "graph.html"
    page.write_text(render_html(graph, None), encoding="utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    trio.run(_check_page, page.as_uri(), profile, recorded, tmp_path / "fallback.png", len(graph.nodes))
    assert CALLER in {n.id for n in graph.nodes}
