"""What a newcomer runs is what CI runs."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    lines = (REPO / "README.md").read_text().splitlines()
    return [line.strip() for line in lines[:10] if line.startswith("    ")]


def test_readme_starts_with_the_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install -e . && examsite ")
    assert "apt-get install -y chromium" in commands[1] and "python -m pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    script = [line for line in (REPO / ".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    assert script[-1] == readme_commands()[1]
