"""The growth guard of tests/complexity.py can fail: linear work passes it, quadratic work does not.

Without these, a guard that always passed (a ratio computed wrongly, a limit too loose) would
look like protection against the hostile-input blow-ups it is meant to catch.
"""

from __future__ import annotations

import random
import re

import pytest

from tests.complexity import assert_linear

# The classic quadratic on hostile input: at every "<" the pattern runs to the end of the text
# looking for a ">", then starts over one character later.
TAG = re.compile(r"<[^>]*>")


def count_lt(text: str) -> int:
    return sum(1 for c in text if c == "<")


def count_lt_in_c(text: str) -> int:
    return text.count("<")


def first_tag(text: str) -> re.Match[str] | None:
    return TAG.search(text)


def pairs(n: int) -> int:
    return sum(1 for i in range(n) for _ in range(i))


def shuffled(n: int) -> list[int]:
    numbers = list(range(n))
    random.Random(n).shuffle(numbers)
    return numbers


def test_linear_work_passes_and_gives_the_result_on_the_big_input() -> None:
    assert assert_linear(count_lt, lambda n: "<a>" * n, 20_000) == 160_000


def test_work_too_fast_to_time_once_is_timed_over_many_calls() -> None:
    # A few microseconds a call: one reading would be clock noise, a ratio of noise.
    assert assert_linear(count_lt_in_c, lambda n: "<a>" * n, 10_000) == 80_000


def test_n_log_n_work_passes() -> None:
    assert assert_linear(sorted, shuffled, 10_000) == list(range(80_000))


def test_a_backtracking_pattern_fails() -> None:
    with pytest.raises(AssertionError, match=r"first_tag: 8x the input took \d+\.\dx the CPU time"):
        assert_linear(first_tag, lambda n: "<" * n, 1_500)


def test_a_nested_loop_fails_and_the_message_gives_both_costs_and_the_ratio() -> None:
    with pytest.raises(AssertionError) as failed:
        assert_linear(pairs, lambda n: n, 400)
    message = str(failed.value)
    assert re.search(r"ms for n=400, .* ms for n=3,200, (1 round|best of [23] rounds)\)", message), message
    assert "linear is about 8x, quadratic 64x, the limit 24x" in message, message
    took = re.search(r"took (\d+\.\d)x", message)
    assert took and float(took.group(1)) > 24, message
