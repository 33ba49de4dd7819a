"""Every command the README gives for benchmarks and scripts runs as written, from the repository root (--help)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    """`python <folder>/<file>.py` commands named in the README, with `<tab>` expanded to every file it covers."""
    text = (ROOT / "README.md").read_text()
    found = set(re.findall(r"python ((?:benchmarks|scripts)/[\w<>]+\.py)", text))
    expanded = set()
    for command in found:
        if "<" in command:
            folder = command.split("/")[0]
            expanded |= {f"{folder}/{p.name}" for p in (ROOT / folder).glob("*.py")
                         if '__name__ == "__main__"' in p.read_text()}  # commands, not helper modules
        else:
            expanded.add(command)
    return sorted(expanded)


def test_readme_names_benchmarks_and_scripts():
    commands = _readme_commands()
    assert any(c.startswith("benchmarks/") for c in commands) and any(c.startswith("scripts/") for c in commands)
    missing = [c for c in commands if not (ROOT / c).is_file()]
    assert not missing, f"README names files that do not exist: {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("command", _readme_commands())
def test_readme_command_runs_from_the_repository_root(command):
    run = subprocess.run([sys.executable, command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, f"python {command} --help failed:\n{run.stderr[-2000:]}"
    assert "usage" in run.stdout.lower(), run.stdout[:500]
