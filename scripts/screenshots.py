"""Every mail kind's HTML part, in every language, as headless Chromium draws it: for a person to
look at before a change to the templates ships (issue 13: "screenshots of each HTML kind").

    .venv/bin/python scripts/screenshots.py            # writes test-output/screens/<kind>.<lang>.png
    .venv/bin/python scripts/screenshots.py reminder   # only the kinds named

The contexts are the realistic samples the hostile-rendering test uses (tests/test_inert.py), one
per kind (its first), with the reader's personal link as [web] adds it (`my_page`, a real-length
signed URL: the footer must not let it widen the mail). Each mail twice: 800 px wide, as a mail
client's reading pane (<kind>.<lang>.png), and in a 390 px column, a phone (<kind>.<lang>.390.png;
headless Chromium's window is no narrower than 500 px, so the column's edge is drawn as a dashed
line: whatever lies right of it is cut off on the phone). Needs Chromium (Debian's `chromium`,
installed by scripts/install-system-deps.sh).
"""

from __future__ import annotations

import re
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
from tests.test_footer_width import MY_PAGE, PHONE  # noqa: E402
from tests.test_inert import COMMON, TEMPLATES, samples  # noqa: E402

OUT = ROOT / "test-output" / "screens"
# (window width, height) of each shot: the reading pane; the phone's column inside the narrowest window.
PANE, PHONE_WINDOW = (800, 1400), (500, 2000)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("no Chromium: run scripts/install-system-deps.sh")


def on_phone(html: str) -> str:
    """The mail inside a PHONE px column whose right edge is a dashed line."""
    column = f'<div style="width:{PHONE}px;border-right:1px dashed #d1242f;">'
    return re.sub(r"(<body[^>]*>)", rf"\1{column}", html, count=1).replace("</body>", "</div></body>")


def shoot(browser: str, page: Path, shot: Path, profile: Path, window: tuple[int, int]) -> None:
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={window[0]},{window[1]}",
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
                mail = renderer.render(kind, language, {**samples()[kind][0], **COMMON, "my_page": MY_PAGE})
                for suffix, html, window in (("", mail.html, PANE), (f".{PHONE}", on_phone(mail.html), PHONE_WINDOW)):
                    page = Path(tmp) / f"{kind}.{language}{suffix}.html"
                    page.write_text(html, encoding="utf-8")
                    profile = Path(tmp) / f"profile-{len(jobs) % 2}"
                    jobs.append((page, OUT / f"{kind}.{language}{suffix}.png", profile, window))
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda job: shoot(browser, *job), jobs))
    for _, shot, _, _ in jobs:
        print(f"{shot.relative_to(ROOT)}  {shot.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main(sys.argv[1:])
