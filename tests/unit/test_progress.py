"""The progress bar: its text, and how often it is redrawn."""

from __future__ import annotations

from typing import Any

import pytest

from harness.report.progress import Progress, bar_line


@pytest.mark.parametrize(("done", "total", "bar"), [
    (0, 57, "[" + "-" * 24 + "]"),
    (12, 48, "[" + "#" * 6 + "-" * 18 + "]"),
    (57, 57, "[" + "#" * 24 + "]"),
    (0, 0, "[" + "#" * 24 + "]"),
])
def test_the_bar_fills_with_tests_done(done: int, total: int, bar: str) -> None:
    assert bar_line(done, total, 812, 0, 4.4).startswith(bar)


def test_the_bar_names_requests_violations_and_time() -> None:
    assert bar_line(3, 57, 812, 1, 65.2, width=4).endswith(
        "] 3/57 tests  812 requests  1 violation  65 s")
    assert "2 violations" in bar_line(3, 57, 812, 2, 1)


def test_redraws_are_throttled_but_a_finished_test_always_shows() -> None:
    drawn: list[tuple[str, dict[str, Any]]] = []
    now = [100.0]
    progress = Progress(lambda line, **markup: drawn.append((line, markup)), 2,
                        lambda: (5, 1), clock=lambda: now[0])
    progress.refresh()
    progress.refresh()  # 0 s later: skipped
    now[0] += 1.25
    progress.refresh()
    progress.test_done()  # forced, though only 0 s passed
    assert [line.split("] ")[1] for line, _ in drawn] == [
        "0/2 tests  5 requests  1 violation  0 s", "0/2 tests  5 requests  1 violation  1 s",
        "1/2 tests  5 requests  1 violation  1 s"]
    assert drawn[0][1] == {"bold": True, "red": True}


def test_a_frame_is_drawn_once_and_nothing_after_the_finish() -> None:
    drawn: list[str] = []
    now, sent = [100.0], [0]
    progress = Progress(lambda line, **markup: drawn.append(line), 1, lambda: (sent[0], 0),
                        clock=lambda: now[0])
    for _ in range(3):  # requests judged within a second: one frame per new count
        sent[0] += 1
        now[0] += 0.3
        progress.refresh()
    progress.test_done()
    progress.finish()  # nothing changed since the last test: no second copy of its frame
    sent[0] += 1
    now[0] += 5
    progress.refresh(force=True)  # after the finish: pytest's closing lines own the screen
    assert [line.split("] ")[1] for line in drawn] == [
        "0/1 tests  1 requests  0 violations  0 s", "0/1 tests  2 requests  0 violations  1 s",
        "0/1 tests  3 requests  0 violations  1 s", "1/1 tests  3 requests  0 violations  1 s"]
