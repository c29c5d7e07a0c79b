"""The reports as a reader sees them: open the index and two reports in headless Chromium.

Checks, in the browser, that every image loads (decoded, non-zero size) and that nothing is
cut off (no element wider than the window, no horizontal scrolling), and takes screenshots
(kept in the test's temporary folder for a person to look at). Needs Chromium (Debian package
``chromium``, which ``.ci/run`` installs): skipped without it on a developer's machine, a failure
in CI (``COSTING_REQUIRE_BROWSER=1``).
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import costing as ct

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("COSTING_REQUIRE_BROWSER") == "1"
pytestmark = pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                                reason="chromium is not installed")

WIDTH = 1280
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars"]

# Runs in the page after load and writes what it found into the DOM for --dump-dom.
PROBE = """
<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var vw = window.innerWidth;
  var wide = [];
  document.querySelectorAll('main *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    var name = el.tagName + '.' + (el.className || '');
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) {
      wide.push(name + ' right=' + Math.round(r.right));
    } else if (el.scrollWidth > el.clientWidth + 1 &&
               getComputedStyle(el).overflowX !== 'visible') {
      wide.push(name + ' clipped ' + el.scrollWidth + '>' + el.clientWidth);
    }
  });
  var out = {
    images: imgs.length,
    broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length,
    scaled_down: imgs.filter(function (i) { return i.naturalWidth > 0 &&
      i.getBoundingClientRect().width < 0.6 * i.naturalWidth; }).length,
    scroll_width: document.documentElement.scrollWidth,
    view_width: vw,
    too_wide: wide.slice(0, 10)
  };
  var pre = document.createElement('pre');
  pre.id = 'look-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium(*args, timeout=90):
    assert CHROMIUM, "COSTING_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install "\
                     "chromium)"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def _probe(page: Path) -> dict:
    probed = page.with_name(page.stem + ".probe.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                      encoding="utf-8")
    res = _chromium(f"--window-size={WIDTH},4000", "--virtual-time-budget=5000", "--dump-dom",
                    probed.as_uri())
    m = re.search(r'<pre id="look-result">(.*?)</pre>', res.stdout, flags=re.S)
    assert m, f"probe did not run in {page.name}: {res.stderr[-500:]}"
    return json.loads(m.group(1).replace("&quot;", '"'))


def _screenshot(page: Path) -> Path:
    png = page.with_suffix(".png")
    _chromium(f"--screenshot={png}", f"--window-size={WIDTH},4000", page.as_uri())
    assert png.exists() and png.stat().st_size > 10_000, f"no screenshot of {page.name}"
    return png


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("look")
    res = ct.run_reports(["LV0001000", "LV0054000"], year=2024, lang="lv", out=out, workers=2,
                         progress=False)
    assert res.ok, res.summary()
    lv = out / "lv"
    return [lv / "index.html", lv / "LV0001000.html", lv / "LV0054000.html"]


def test_every_image_loads_and_nothing_is_cut_off(pages):
    for page in pages:
        found = _probe(page)
        assert found["broken"] == 0, (page.name, found)
        assert found["scroll_width"] <= found["view_width"], (page.name, found)
        assert not found["too_wide"], (page.name, found)
        assert found["scaled_down"] == 0, (page.name, found)
        if page.name != "index.html":
            assert found["images"] >= 4, (page.name, found)


def test_screenshots_are_taken(pages):
    for page in pages:
        png = _screenshot(page)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
