"""The config stops the program with one line naming the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.config import load_config
from mailbot.errors import ConfigError

BASE = """
[bot]
address = "minutes@corp.example"
[security]
token_key = "k"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_in_and_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.source.kind == "maildir"
    assert config.resolve(config.source.maildir.path) == tmp_path.resolve() / "inbox"
    assert config.database_url == f"sqlite:///{tmp_path.resolve()}/mailbot.db"
    assert config.bot.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE + "[source]\npth = 'x'\n", "source.pth: unknown key"),
        ("[security]\ntoken_key='k'\n", "bot: missing key"),
        ("[bot]\nname = 'x'\n", "bot.address: missing key"),
        (BASE.replace('token_key = "k"', "token_key = 3"), "security.token_key: expected str, got int 3"),
        (BASE + "[source]\nkind = 'pop3'\n", "source.kind: 'pop3' is not one of 'maildir', 'imap'"),
        (BASE.replace("[bot]", "[bot]\ntimezone = 'Mars/Base'"), "bot.timezone: unknown time zone 'Mars/Base'"),
        (BASE + "[delivery]\nkind = 'smtp'\n", "delivery.smtp: missing section"),
        (BASE.replace("[bot]", "[bot]\nallowed_senders = 'x'"), "bot.allowed_senders: expected a list of str"),
        ("[bot\n", "not valid TOML"),
    ],
)
def test_a_wrong_config_names_the_key_and_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BASE + "[source]\npth = 'x'\n")
    assert main(["--config", str(path), "meetings"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"mailbot: {path}: source.pth: unknown key"


def test_secrets_come_from_the_environment_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.token_key == b"k"
    monkeypatch.setenv("MAILBOT_TOKEN_KEY", "from-env")
    assert config.token_key == b"from-env"


def test_an_empty_token_key_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILBOT_TOKEN_KEY", raising=False)
    config = load_config(write(tmp_path, BASE.replace('token_key = "k"', 'token_key = ""')))
    with pytest.raises(ConfigError, match=r"security\.token_key is empty"):
        _ = config.token_key


def test_init_writes_a_config_that_loads_and_folders_for_the_embedded_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "bot"
    assert main(["init", str(target)]) == 0
    config = load_config(target / "config.toml")
    assert config.database_url.startswith("sqlite:///")
    assert (target / "inbox" / "new").is_dir() and (target / "sent" / "new").is_dir()
    assert (target / "mailbot.db").exists()
    assert oct((target / "config.toml").stat().st_mode & 0o777) == "0o600"
    assert main(["init", str(target)]) == 2
    assert "exists already" in capsys.readouterr().err
