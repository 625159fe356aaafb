"""Image names: valid (SEED-R2), never repeated, and carrying the run's tag wherever they can."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from harness.custody.names import TAGGED_MIN, NameBook, derived_tag, random_tag
from harness.strategies.valid import names

VALID = re.compile(r"[a-z][a-z0-9-]{1,28}[a-z0-9]")  # SEED-R2


@given(st.lists(names(), min_size=1, max_size=30), st.booleans())
def test_fresh_names_are_valid_unique_and_tagged_when_they_can_be(
        drawn: list[str], keep: bool) -> None:
    book = NameBook(tag="k3x9")
    given_out = [book.fresh(name, frozenset(), keep_length=keep) for name in drawn]
    assert len(set(given_out)) == len(given_out)
    for name, fresh in zip(drawn, given_out, strict=True):
        assert VALID.fullmatch(fresh), fresh
        if keep:
            assert len(fresh) == len(name)  # SEED-R2's boundaries keep their length
        else:
            assert len(fresh) == max(len(name), TAGGED_MIN)
        tagged = len(fresh) >= TAGGED_MIN
        assert book.unique(fresh) == tagged
        assert ("k3x9" in fresh[1:]) or not tagged


def test_a_short_boundary_name_cannot_carry_the_tag() -> None:
    book = NameBook(tag="k3x9")
    short = book.fresh("abc", frozenset(), keep_length=True)
    assert len(short) == 3
    assert not book.unique(short)
    lengthened = book.fresh("abc", frozenset())
    assert lengthened == "ak3x9002"  # a first letter, the tag, serial 2
    assert book.unique(lengthened)


def test_two_runs_with_one_seed_send_different_short_names() -> None:
    """Lockstep runs (one seed, one account) must not race for one 3-character name."""
    ours, theirs = NameBook(tag="k3x9"), NameBook(tag="p0q2")
    pairs = [(ours.fresh("abc", frozenset(), keep_length=True),
              theirs.fresh("abc", frozenset(), keep_length=True)) for _ in range(20)]
    assert all(len(a) == len(b) == 3 and a[0] == b[0] == "a" for a, b in pairs)
    assert sum(a == b for a, b in pairs) <= 1  # 36**2 endings each: a clash is rare
    again = NameBook(tag="k3x9")  # the same run drawn again (a replay): the same names
    assert [again.fresh("abc", frozenset(), keep_length=True) for _ in pairs] == [
        a for a, _ in pairs]


def test_names_in_use_are_skipped_and_no_tag_means_nothing_is_unique() -> None:
    book = NameBook()
    first = book.fresh("image-one", frozenset())
    assert not book.unique(first)
    again = NameBook()
    assert again.fresh("image-one", frozenset({first})) != first


def test_workers_draw_disjoint_first_letters() -> None:
    one, two = NameBook("ac", tag="aaaa"), NameBook("bd", tag="aaaa")
    mine = {one.fresh("zzzzzzzzzz", frozenset()) for _ in range(50)}
    theirs = {two.fresh("zzzzzzzzzz", frozenset()) for _ in range(50)}
    assert not mine & theirs
    assert {n[0] for n in mine} == {"a", "c"}


def test_tags_are_four_base36_characters_fixed_by_their_parts() -> None:
    assert derived_tag(7, "gw0") == derived_tag(7, "gw0") != derived_tag(7, "gw1")
    assert re.fullmatch(r"[0-9a-z]{4}", derived_tag(1, ""))
    assert len({random_tag() for _ in range(20)}) > 1
