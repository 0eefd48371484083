"""Every mail kind's HTML part, in every language, as headless Chromium draws it: for a person to
look at before a change to the templates ships (issue 13: "screenshots of each HTML kind").

    .venv/bin/python scripts/screenshots.py            # writes test-output/screens/<kind>.<lang>.png
    .venv/bin/python scripts/screenshots.py reminder   # only the kinds named

The contexts are the realistic samples the hostile-rendering test uses (tests/test_inert.py), one
per kind (its first); each page is 800 px wide, as a mail client's reading pane. Needs Chromium
(Debian's `chromium`, installed by scripts/install-system-deps.sh).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailbot.kinds import KINDS  # noqa: E402
from mailbot.render import Renderer  # noqa: E402
from tests.test_inert import COMMON, TEMPLATES, samples  # noqa: E402

OUT = ROOT / "test-output" / "screens"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium: run scripts/install-system-deps.sh")


def shoot(browser: str, page: Path, shot: Path, profile: Path) -> None:
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=800,1400",
         f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def main(kinds: list[str]) -> None:
    renderer = Renderer(TEMPLATES)
    browser = chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds or sorted(KINDS):
            for language in renderer.languages.available:
                mail = renderer.render(kind, language, {**samples()[kind][0], **COMMON})
                page = Path(tmp) / f"{kind}.{language}.html"
                page.write_text(mail.html, encoding="utf-8")
                jobs.append((page, OUT / f"{kind}.{language}.png", Path(tmp) / f"profile-{len(jobs) % 2}"))
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda job: shoot(browser, *job), jobs))
    for _, shot, _ in jobs:
        print(f"{shot.relative_to(ROOT)}  {shot.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main(sys.argv[1:])
