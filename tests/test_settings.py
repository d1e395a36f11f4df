"""Settings: environment and config file, and one clear line for anything wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import DEFAULT_API_URL, SettingsError, load_settings

TOKEN = "123456:ABCdef_ghi-JKL"


def test_defaults_and_environment():
    settings = load_settings({"PACESETTER_TOKEN": TOKEN, "PACESETTER_ADMINS": "5, 7,,"})
    assert settings.token.reveal() == TOKEN
    assert settings.api_url == DEFAULT_API_URL
    assert settings.db_path == Path("pacesetter.db")
    assert settings.campaign_path is None
    assert settings.admins == {5, 7}
    assert settings.log_level == "INFO"
    assert TOKEN not in repr(settings)


def test_config_file_with_environment_overriding(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'token = "{TOKEN}"\ndb = "x.db"\nadmins = [1, 2]\nlog_level = "debug"\n')
    settings = load_settings({"PACESETTER_DB": "y.db"}, config)
    assert settings.db_path == Path("y.db")
    assert settings.admins == {1, 2}
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PACESETTER_TOKEN": "nonsense"}, "PACESETTER_TOKEN"),
        ({"PACESETTER_API_URL": "ftp://x"}, "PACESETTER_API_URL"),
        ({"PACESETTER_API_URL": f"{DEFAULT_API_URL}/bot{TOKEN}"}, "without /bot"),
        ({"PACESETTER_ADMINS": "12,abc"}, "'abc'"),
        ({"PACESETTER_LOG_LEVEL": "LOUD"}, "PACESETTER_LOG_LEVEL"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(env, needle):
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert needle in str(caught.value)
    assert "\n" not in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_unknown_config_key(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('tokn = "x"\n')
    with pytest.raises(SettingsError, match="unknown key 'tokn'"):
        load_settings({}, config)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_run_without_a_token_says_so_in_one_line():
    result = _cli("run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "pacesetter: PACESETTER_TOKEN is not set: put the bot token from @BotFather in it"
    ]


def test_run_with_a_bad_campaign_file_says_which_key(tmp_path):
    campaign = tmp_path / "c.toml"
    campaign.write_text('timezone = "Mars/Olympus"\n')
    result = _cli(
        "run",
        env={
            "PACESETTER_TOKEN": TOKEN,
            "PACESETTER_CAMPAIGN": str(campaign),
            "PACESETTER_DB": str(tmp_path / "t.db"),
        },
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    # Every problem, each on a line that names the file and the setting; nothing logged first.
    assert len(lines) > 1
    assert all(line.startswith(f"pacesetter: {campaign} (PACESETTER_CAMPAIGN): ") for line in lines)
    assert any("timezone" in line for line in lines)


def test_an_unreadable_campaign_file_is_named_with_its_setting(tmp_path):
    missing = tmp_path / "nope.toml"
    env = {"PACESETTER_TOKEN": TOKEN, "PACESETTER_CAMPAIGN": str(missing)}
    result = _cli("run", env={**env, "PACESETTER_DB": str(tmp_path / "t.db")})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"pacesetter: {missing} (PACESETTER_CAMPAIGN): cannot read it: No such file or directory"
    ]


def test_an_unusable_database_path_says_so_in_one_line(tmp_path):
    csv = tmp_path / "o.csv"
    csv.write_text("unit_code,unit_name,project_code,project_name\nU,u,P,p\n")
    result = _cli(
        "orgs",
        "import",
        str(csv),
        env={"PACESETTER_DB": str(tmp_path / "missing" / "dir" / "x.db")},
    )
    assert result.returncode == 2
    where = tmp_path / "missing" / "dir" / "x.db"
    assert result.stderr.startswith(f"pacesetter: cannot use the database {where} (PACESETTER_DB):")
    assert result.stderr.count("\n") == 1, result.stderr  # one line: no thread's traceback


def test_a_dead_proxy_is_named_without_its_password_and_nothing_else_is_said(tmp_path):
    result = _cli(
        "run",
        env={
            "PACESETTER_TOKEN": TOKEN,
            "PACESETTER_DB": str(tmp_path / "bot.db"),
            "PACESETTER_API_URL": "http://127.0.0.1:9",
            "PACESETTER_PROXY": "http://ops:s3cret@127.0.0.1:9",  # nothing listens there
        },
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()  # no scheduler's notes before it
    assert line.startswith(
        "pacesetter: cannot reach the Bot API at http://127.0.0.1:9"
        " through PACESETTER_PROXY=http://ops:***@127.0.0.1:9: "
    )
    assert "s3cret" not in result.stderr
