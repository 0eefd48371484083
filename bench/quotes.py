"""strip_reply's CPU time per call on the bodies bench/ingest.py generates (minutes mails: Chinese
Word-style HTML read as text, and English plain text, both with table rows that start with a
digit), as the pipeline hands them over (InboundMail.body_text).

    .venv/bin/python bench/quotes.py                          # this tree's mailbot/replies/quotes.py
    .venv/bin/python bench/quotes.py --against /tmp/quotes.py # and a saved copy of the module beside it

Per kind of body: the CPU time (time.process_time, which other work on a shared machine disturbs
less than wall time) of one call, the best of --rounds rounds of --repeat passes over --mails
bodies (the module derives its attribution shortcut during the first rounds: a process does so
after a few hundred pattern calls); and the first call in the process. `--against FILE` loads
FILE as a second copy of the module (with this tree's rules/quotes.toml), prints its figures
beside, and checks that both give the same text for every body.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import chinese_html, english_plain

from mailbot.message import InboundMail
from mailbot.replies import quotes

RULES = Path(__file__).resolve().parents[1] / "rules" / "quotes.toml"
MARKERS = ["—— 请在此线以上回复 / reply above this line ——"]


def bodies(count: int) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {"zh html": [], "en plain": []}
    for n in range(count):
        if n % 2 == 0:
            kinds["zh html"].append(InboundMail.from_bytes(chinese_html(n)).body_text)
        else:
            kinds["en plain"].append(InboundMail.from_bytes(english_plain(n)).body_text)
    return kinds


def load_copy(path: Path, folder: Path) -> ModuleType:
    # The module finds its rules two folders up from itself; this copy is given the tree's rules.
    target = folder / "mailbot" / "replies" / "quotes.py"
    target.parent.mkdir(parents=True)
    shutil.copyfile(path, target)
    (folder / "rules").mkdir()
    shutil.copyfile(RULES, folder / "rules" / "quotes.toml")
    spec = importlib.util.spec_from_file_location("quotes_against", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def per_call(strip: Callable[[str], str], texts: list[str], repeat: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            for text in texts:
                strip(text)
        best = min(best, (time.process_time() - started) / (repeat * len(texts)))
    return best


def measure(module: ModuleType, kinds: dict[str, list[str]], repeat: int, rounds: int) -> dict[str, float]:
    rules = module.load_quote_rules(RULES)
    first = next(iter(kinds.values()))[0]
    started = time.process_time()
    module.strip_reply(first, markers=MARKERS, rules=rules)
    figures = {"first call": time.process_time() - started}
    for kind, texts in kinds.items():
        figures[kind] = per_call(
            lambda text: module.strip_reply(text, markers=MARKERS, rules=rules), texts, repeat, rounds
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", type=Path, default=None, help="a saved copy of mailbot/replies/quotes.py")
    args = parser.parse_args()
    kinds = bodies(args.mails)
    modules = {"this tree": quotes}
    with tempfile.TemporaryDirectory() as folder:
        if args.against:
            modules[str(args.against)] = load_copy(args.against, Path(folder))
        for name, module in modules.items():
            figures = measure(module, kinds, args.repeat, args.rounds)
            cells = "  ".join(f"{kind} {seconds * 1e6:8.1f} us" for kind, seconds in figures.items())
            print(f"{name:<30} {cells}", flush=True)
        if args.against:
            ours, theirs = (module.load_quote_rules(RULES) for module in modules.values())
            other = modules[str(args.against)]
            for texts in kinds.values():
                for text in texts:
                    mine = quotes.strip_reply(text, markers=MARKERS, rules=ours)
                    assert mine == other.strip_reply(text, markers=MARKERS, rules=theirs), f"differ on {text[:80]!r}"
            print(f"same text from both for all {sum(map(len, kinds.values()))} bodies")


if __name__ == "__main__":
    main()
