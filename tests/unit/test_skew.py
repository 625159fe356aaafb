"""The service's clock against ours, bounded from Date headers; lies leave it unmeasured."""

from __future__ import annotations

from email.utils import formatdate

from harness.core.skew import Skew

NOW = 1796198400.0


def test_answers_narrow_the_bounds() -> None:
    assert not Skew().measured
    skew = Skew()
    skew.observe(NOW, NOW + 0.4, formatdate(NOW + 10, usegmt=True))  # ten seconds ahead
    assert skew.measured
    assert 9.5 <= skew.low <= 10.0 <= skew.high <= 11.0
    skew.observe(NOW + 5.6, NOW + 5.7, formatdate(NOW + 15, usegmt=True))
    assert skew.high - skew.low < 1.0
    assert "+9" in skew.describe() or "+10" in skew.describe()


def test_headers_that_contradict_or_are_past_five_minutes_are_not_trusted() -> None:
    skew = Skew()
    skew.observe(NOW, NOW + 0.1, formatdate(NOW, usegmt=True))
    skew.observe(NOW + 1, NOW + 1.1, formatdate(NOW + 100, usegmt=True))  # a jump, or a lie
    assert skew.contradicted
    assert not skew.measured
    far = Skew()
    far.observe(NOW, NOW + 0.1, formatdate(NOW + 3600, usegmt=True))
    assert not far.measured
    unread = Skew()
    for header in ("", "yesterday", "Mon, 99 Foo 2026 00:00:00 GMT"):
        unread.observe(NOW, NOW + 0.1, header)
    assert not unread.measured
    assert unread.describe().startswith("not measured")
