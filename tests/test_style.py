"""The code base stays `ruff check` and `ruff format` clean, and words stay in messages/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_ruff_check_is_clean():
    result = _ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


# Not words the bot says: the amount parser knows 万 and 元, the import reads Chinese headers,
# the Word reader Chinese numbering (一、, 第二部分), and the demo's people type them.
INPUT_VOCABULARY = {
    "bot/rules.py",
    "bot/orgs.py",
    "bot/docx_form.py",
    "bot/demo.py",
    "bot/cultivation.py",  # dates and head counts as people type them (3月12日, 25人)
    "bot/docx_template.py",  # the form's typefaces (仿宋, 黑体) and numbering (一、二、)
}


def test_no_chinese_text_in_handlers_or_core():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("handlers", "bot", "storage")
        for path in (ROOT / folder).rglob("*.py")
        if "sandbox" not in path.parts and cjk.search(path.read_text(encoding="utf-8"))
    ]
    assert sorted(set(offenders) - INPUT_VOCABULARY) == []


# Dependencies point one way: handlers -> bot, storage, messages; bot/app.py assembles.
_IMPORTS = re.compile(r"^\s*(?:from|import) (\w+)", re.MULTILINE)
MAY_NOT_IMPORT = {"storage": {"bot", "handlers"}, "bot": {"handlers"}, "messages": {"handlers"}}
ASSEMBLY = {"bot/app.py"}


def test_dependencies_point_one_way():
    backwards = [
        (str(path.relative_to(ROOT)), package)
        for folder, forbidden in MAY_NOT_IMPORT.items()
        for path in (ROOT / folder).rglob("*.py")
        if path.relative_to(ROOT).as_posix() not in ASSEMBLY
        for package in _IMPORTS.findall(path.read_text(encoding="utf-8"))
        if package in forbidden
    ]
    assert backwards == []


def test_every_message_file_is_packaged():
    """A non-editable install must carry every template and labels file."""
    import glob
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["messages"]
    files = [
        p.relative_to(ROOT / "messages").as_posix()
        for p in (ROOT / "messages").rglob("*")
        if p.is_file() and p.suffix in (".html", ".toml")
    ]
    assert files
    # The same recursive glob setuptools applies to package-data patterns.
    packaged = {
        found
        for pattern in patterns
        for found in glob.glob(pattern, root_dir=ROOT / "messages", recursive=True)
    }
    assert sorted(set(files) - packaged) == []
