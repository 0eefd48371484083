"""Growth, not speed: a guard against quadratic blow-ups on hostile input that no machine decides.

The project measures speed in bench/; a test never asserts a time. What a test can assert is how
the work grows: `factor` times the input should cost about `factor` times the CPU time (linear),
not `factor**2` (quadratic; the hostile mails that once took 12 s and more). Both sizes are measured
in the same process, moments apart, so a slow machine slows both and the ratio stays; a quadratic
pattern shows as a ratio near `factor**2` on any machine.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this a CPU-time reading is mostly scheduler tick, allocator and cache noise: a call that
# is faster is repeated until the calls add up to it, and the mean is the cost (timeit's autorange).
MIN_SECONDS = 0.02


def cpu_cost(run: Callable[[T], object], data: T, min_seconds: float = MIN_SECONDS) -> float:
    """CPU seconds one call of `run(data)` takes, averaged over enough calls to be measurable."""
    return _measure(run, data, min_seconds)[0]


def _measure(run: Callable[[T], R], data: T, min_seconds: float) -> tuple[float, R]:
    """The cost of one call, and what the first call returned.

    CPU time of this process, not wall-clock time: other processes on a busy 2-core CI machine
    delay the test but do not add to it. The collector is off while timed (as in timeit): a
    collection falling in one run and not the other would read as a change of growth. No
    gc.collect() before: in a pytest process it costs tens of milliseconds and changes nothing
    measured.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.process_time()
        first = run(data)
        calls = 1
        # `not elapsed`: a clock that has not ticked yet is no measurement, whatever min_seconds says.
        while (elapsed := time.process_time() - started) < min_seconds or not elapsed:
            run(data)
            calls += 1
        return elapsed / calls, first
    finally:
        if was_enabled:
            gc.enable()


def assert_linear(
    run: Callable[[T], R],
    make: Callable[[int], T],
    n: int,
    *,
    factor: int = 8,
    slack: float = 3.0,
    repeats: int = 3,
    min_seconds: float = MIN_SECONDS,
) -> R:
    """Assert `run(make(factor * n))` costs at most `slack * factor` times `run(make(n))`.

    Linear growth reads about `factor` (n log n a little more, a big input that leaves the CPU
    cache up to about twice that); quadratic reads about `factor**2`, 64 for the default 8, well
    past the default limit of 24. Choose `n` so that the work on `make(n)`, not a fixed cost per
    call, is what is measured: a fixed cost hides growth. Returns the result of the run on the
    big input, for the caller's functional assertions on it.

    Each round measures the small input, then the big one, and the best round's ratio counts:
    a neighbour that thrashes the shared cache slows the big input more than the small one that
    fits, and a ratio of two readings taken moments apart suffers least from it. Another round
    is measured only while the ratio looks too high but could still be noise, so a passing guard
    costs one round, and a blow-up (beyond twice the limit) fails after one.
    """
    small, big = make(n), make(factor * n)
    run(small)  # untimed: lazy imports and patterns compiled on first use are not growth
    limit = slack * factor
    rounds: list[tuple[float, float]] = []
    while len(rounds) < repeats:
        small_cost = cpu_cost(run, small, min_seconds)
        big_cost, result = _measure(run, big, min_seconds)
        rounds.append((small_cost, big_cost))
        if big_cost <= limit * small_cost:
            return result
        if big_cost > 2 * limit * small_cost:
            break  # no load makes linear work read twice the limit: this is growth, not noise
    small_cost, big_cost = min(rounds, key=lambda costs: costs[1] / costs[0])
    ratio = big_cost / small_cost
    name = getattr(run, "__qualname__", repr(run))
    raise AssertionError(
        f"{name}: {factor}x the input took {ratio:.1f}x the CPU time "
        f"({small_cost * 1000:.1f} ms for n={n:,}, {big_cost * 1000:.1f} ms for n={factor * n:,}, "
        f"{'1 round' if len(rounds) == 1 else f'best of {len(rounds)} rounds'}); "
        f"linear is about {factor}x, quadratic {factor**2}x, the limit {limit:.0f}x"
    )
