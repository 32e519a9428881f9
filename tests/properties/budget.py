"""How hard the property tests and the API fuzzer try: bounded and deterministic in `make test`, long and random in
`make stress` (KB_STRESS=1). One place, so both suites move together."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

STRESS = os.environ.get("KB_STRESS", "") == "1"
STRESS_FACTOR = 20


def bounded(max_examples: int, **overrides: Any) -> settings:
    """`max_examples` per test in `make test` (same examples every run), 20 times more and random in stress."""
    return settings(max_examples=max_examples * STRESS_FACTOR if STRESS else max_examples, derandomize=not STRESS,
                    deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
                    **overrides)
