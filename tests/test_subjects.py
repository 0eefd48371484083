"""Subjects by one rule for every kind × language (tests/test_inert.py's samples): one line, no
leading, trailing or double spaces, no piled states, no "(s)", no empty echo ("Re:  — …"); and an
answer to an answer echoes the person's subject, not our earlier states."""

from __future__ import annotations

import pytest

from mailbot.handlers.base import echoed_subject
from mailbot.kinds import KINDS
from mailbot.render import Renderer
from tests.test_inert import COMMON, TEMPLATES, samples


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_subject_reads_as_one_clean_line(renderer: Renderer, kind: str) -> None:
    for language in renderer.languages.available:
        for sample in samples()[kind]:
            for echoed in ("Q1 新品上市跨部门协作会", ""):
                subject = renderer.render(kind, language, {**sample, **COMMON, "original_subject": echoed}).subject
                where = f"{kind} in {language}: {subject!r}"
                assert subject == subject.strip() and "  " not in subject and "\n" not in subject, where
                assert "(s)" not in subject, where
                assert not subject.startswith("Re: —") and subject.count(" — ") <= 1, where


@pytest.mark.parametrize(
    ("subject", "echoed"),
    [
        (
            "RE: Re: 【请确认】Q1 会：您负责的 1 项 [#A1.abcdefghij] — 未执行",
            "【请确认】Q1 会：您负责的 1 项 [#A1.abcdefghij]",
        ),
        ("Re: Re: 纪要 — 未执行 — 处理结果", "纪要"),
        ("回复：Re: Budget review — not applied", "Budget review"),
        ("答复: Re: 【纪要】复盘会 — 纪要第 2 版已生效，3 项行动项 [#M4.abcdefghij]", "【纪要】复盘会"),
        ("Re: 【纪要】复盘会 — 纪要第 2 版已收到（待确认），3 项行动项 [#M4.abcdefghij]", "【纪要】复盘会"),
        ("Re: Budget — minutes v2 received (awaiting confirmation), 3 actions", "Budget"),
        ("Re: Budget — recorded", "Budget"),
        ("Q3 复盘 — 张伟", "Q3 复盘 — 张伟"),  # a person's own dash stays
    ],
)
def test_an_answer_echoes_the_persons_subject_not_our_states(subject: str, echoed: str) -> None:
    assert echoed_subject(subject) == echoed
