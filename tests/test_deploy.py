"""The systemd unit in deploy/ is one systemd accepts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "pacesetter.service"
INSTALLED = "/opt/pacesetter/.venv/bin/pacesetter"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_unit_file_verifies(tmp_path):
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED} run" in text
    # Where the install steps put the program: here, this environment's own.
    script = Path(sys.executable).with_name("pacesetter")
    unit = tmp_path / "pacesetter.service"
    unit.write_text(text.replace(INSTALLED, str(script)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "pacesetter.service" not in result.stderr, result.stderr  # no warning about it


def test_the_install_steps_make_the_folders_the_service_writes():
    steps = [line.removeprefix("#").strip() for line in UNIT.read_text().splitlines()[:8]]
    useradd = next(step for step in steps if step.startswith("useradd"))
    assert "--home-dir /var/lib/pacesetter --create-home" in useradd  # the database's folder
    assert any(step.startswith("python3 -m venv /opt/pacesetter/.venv") for step in steps)
    text = UNIT.read_text()
    assert "ReadWritePaths=/var/lib/pacesetter" in text
    assert "Environment=PACESETTER_DB=/var/lib/pacesetter/pacesetter.db" in text
