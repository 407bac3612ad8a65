import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

FIGURES: list[str] = []


@pytest.fixture
def figures(request):
    """``figures(text)`` records a line that the run prints in its summary (the
    reliability and fuzz tests' counts), whatever pytest captures."""

    def record(text: str):
        FIGURES.append(f"{request.node.name}: {text}")
        print(text)

    return record


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
