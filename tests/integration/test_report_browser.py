"""The HTML report in a real browser: headless Chromium opens it from disk, every chart is there
with its title and an image, the page logs nothing to the console, and a screenshot shows the
simulated-data banner. Skipped when /usr/bin/chromium is absent (`make chromium` installs it)."""
from __future__ import annotations

import base64
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from pipelines.cli import main as btcflows
from pipelines.report.render import SPECS
from tests.unit.report.marts import CRASH, all_marts, write_marts

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed: `make chromium` installs it")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                          check=False, capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    """What the page wrote to the console (Chromium logs it as CONSOLE lines) and uncaught errors."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory, monkeypatch_module) -> Path:
    root = tmp_path_factory.mktemp("browser")
    warehouse = write_marts(root / "w.duckdb", all_marts("simulated"))
    monkeypatch_module.setenv("BTCFLOWS_WAREHOUSE", str(warehouse))
    btcflows(["report", "--around", CRASH.isoformat()])  # the CLI: reports/ beside the warehouse
    html = root / "reports" / "report.html"
    assert html.is_file()
    return html


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_the_report_opens_with_every_chart_and_no_console_errors(report_html, tmp_path):
    run = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", report_html.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert console_messages(run.stderr) == []
    figures = re.findall(r'<figure class="chart" id="([a-z_]+)"[^>]*data-has-data="(true|false)"', dom)
    assert figures == [(s.slug, "true") for s in SPECS]
    for spec in SPECS:
        section = dom.split(f'id="{spec.slug}"', 1)[1].split("</figure>", 1)[0]
        assert f"<h2>{spec.title}</h2>" in section
        image = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', section)
        assert image and image.group(2) == spec.title
        with Image.open(io.BytesIO(base64.b64decode(image.group(1)))) as png:
            assert png.size == (1100, 600)
        assert 'data-banner="simulated"' in dom.split(f'id="{spec.slug}"', 1)[1].split(">", 1)[0]
    assert "SIMULATED DATA — not market data" in dom.split('<ol class="toc">', 1)[0]  # the page banner, on top


def test_a_page_error_would_be_caught(tmp_path):
    """The console check sees what a broken page logs (so an empty list above means something)."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom'); missingFunction();</script></body></html>")
    run = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", bad.as_uri())
    messages = console_messages(run.stderr)
    assert any("boom" in m for m in messages) and any("Uncaught" in m for m in messages)


def test_screenshot_shows_the_banner_and_the_charts(report_html, tmp_path):
    shot = report_html.parent / "report-screenshot.png"
    run = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,4000", "--hide-scrollbars", report_html.as_uri())
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        assert rgb.size == (1400, 4000)
        colors = rgb.getcolors(maxcolors=1 << 20)
    banner_red = sum(n for n, (r, g, b) in colors if abs(r - 0xB0) < 12 and g < 20 and abs(b - 0x20) < 16)
    assert banner_red > 20_000  # the page banner and the charts' banners are drawn
    assert len(colors) > 500  # charts rendered, not a blank page
