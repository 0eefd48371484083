"""rules/vocabulary.toml: loads, validates, and lets an organisation add synonyms without code."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from mailbot.formats.reader import ReadContext, read_meeting
from mailbot.formats.vocabulary import (
    DEFAULT_VOCABULARY_FILE,
    default_vocabulary,
    load_vocabulary,
    norm_label,
)
from mailbot.workdays import load_calendar

DEFAULT_TEXT = DEFAULT_VOCABULARY_FILE.read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vocabulary.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_file_is_the_one_in_rules() -> None:
    assert Path(__file__).resolve().parents[1] / "rules" / "vocabulary.toml" == DEFAULT_VOCABULARY_FILE


def test_default_vocabulary_is_cached() -> None:
    assert default_vocabulary() is default_vocabulary()


def test_labels_match_case_width_bold_and_colon_insensitively() -> None:
    vocab = default_vocabulary()
    assert vocab.fields.key_of("会议名称") == "title"
    assert vocab.fields.key_of("**Minutes By**:") == "recorder"
    assert vocab.fields.key_of("ＣＯＮＦＩＲＭ ＢＹ：") == "confirm_by"
    assert vocab.action_columns.key_of("完成时限") == "due"
    assert vocab.action_labels.key_of("OWNER") == "owner"
    assert vocab.sections.key_of("Action items") == "actions"
    assert vocab.fields.key_of("负责人") is None
    assert norm_label(" **会议 时间：** ") == "会议时间"


def test_none_markers() -> None:
    vocab = default_vocabulary()
    assert vocab.is_none_marker("无")
    assert vocab.is_none_marker("None.")
    assert vocab.is_none_marker("N/A")
    assert not vocab.is_none_marker("无线网络升级")


def test_unknown_key_is_a_config_error_naming_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TEXT.replace('title = ["会议名称"', 'titel = ["会议名称"'))
    with pytest.raises(ConfigError) as err:
        load_vocabulary(path)
    assert str(path) in str(err.value)
    assert "[fields]" in str(err.value)
    assert "'titel'" in str(err.value)


def test_missing_key_is_a_config_error(tmp_path: Path) -> None:
    lines = [line for line in DEFAULT_TEXT.splitlines() if not line.startswith("confirm_by =")]
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(ConfigError, match=r"\[fields\] is missing key 'confirm_by'"):
        load_vocabulary(path)


def test_label_under_two_keys_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TEXT.replace('host = ["主持人"', 'host = ["记录人", "主持人"'))
    with pytest.raises(ConfigError, match=r"label '记录人' is listed under both"):
        load_vocabulary(path)


def test_non_list_value_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TEXT.replace('status = ["状态", "当前状态", "Status"]', 'status = "状态"'))
    with pytest.raises(ConfigError, match=r"\[action_columns\] status must be a non-empty list"):
        load_vocabulary(path)


def test_empty_label_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TEXT.replace('status = ["状态", "Status"]', 'status = ["状态", "  "]'))
    with pytest.raises(ConfigError, match=r"\[action_labels\] status has an entry that is not a non-empty string"):
        load_vocabulary(path)


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "[fields\ntitle = [")
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_vocabulary(path)
    assert str(path) in str(err.value)


def test_missing_table_and_missing_file(tmp_path: Path) -> None:
    data = tomllib.loads(DEFAULT_TEXT)
    assert "markers" in data
    path = _write(tmp_path, DEFAULT_TEXT.split("[markers]")[0])
    with pytest.raises(ConfigError, match=r"table \[markers\] is missing"):
        load_vocabulary(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_vocabulary(tmp_path / "nope.toml")


def test_an_organisation_synonym_works_without_code(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        DEFAULT_TEXT.replace(
            'owner = ["负责人", "执行人", "责任人", "Owner", "Assignee"]',
            'owner = ["负责人", "执行人", "责任人", "Owner", "Assignee", "牵头人"]',
        ),
    )
    vocab = load_vocabulary(path)
    ctx = ReadContext(calendar=load_calendar("cn"), anchor=date(2024, 9, 2), vocabulary=vocab)
    parsed = read_meeting("行动项：\n- 输出方案；牵头人：a@corp.example；截止：2024-09-15\n", ctx=ctx)
    assert [(a.description, a.owner.address if a.owner else None) for a in parsed.actions] == [
        ("输出方案", "a@corp.example")
    ]
    assert parsed.errors == ()
