"""The run's time budget: what each size can afford to measure, and estimates for what it could not.

The machine is shared and noisy and the whole run keeps to about five minutes on two cores: the
sizes measured so far predict the next one's load, and a size whose load and reload would not
fit what is left is measured in part, its missing figures extrapolated and marked as estimates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

#: The whole run's budget in seconds (the spec's five minutes, with room for a slow moment).
BUDGET_S = 270.0
#: Time given to the engine's passes and to the naive baseline's at each size.
ENGINE_BUDGET_S = 4.0
NAIVE_BUDGET_S = 6.0
#: The fixed sample the naive baseline is timed on when all questions would not fit its budget.
NAIVE_SAMPLE = 50
NAIVE_MIN = 20


@dataclass
class Plan:
    mode: str
    naive_questions: int
    reindex: bool
    note: str = ""


class Budget:
    """The run's clock, and what the sizes measured so far predict of the next one."""

    def __init__(self, total_s: float) -> None:
        self.start = time.perf_counter()
        self.total_s = total_s
        self.parse_s_per_fact: float | None = None
        self.index_s_per_fact: float | None = None
        self.naive_ns_per_variant: float | None = None
        self.excluded = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start - self.excluded

    def exclude(self, seconds: float) -> None:
        """Leave out one-off preparation (filling a size's load cache) from the run's clock."""
        self.excluded += seconds

    def left(self) -> float:
        return self.total_s - self.elapsed()

    def learn(self, row: dict) -> None:
        facts, variants = row["facts"], row["variants"]
        if row["parse_s"] is not None:
            self.parse_s_per_fact = row["parse_s"] / facts
        self.index_s_per_fact = row["index_s"] / facts
        self.naive_ns_per_variant = row["naive"]["median_ms"] * 1e6 / variants

    def plan(self, facts: int, variants: int, questions: int, later: int) -> Plan:
        """How to measure a size within what is left, keeping ~25 s for each later size."""
        naive, naive_s = 0, 0.0  # 0: all the questions
        if self.naive_ns_per_variant is not None:
            per_question = self.naive_ns_per_variant * variants / 1e9
            naive_s = per_question * questions
            if naive_s > NAIVE_BUDGET_S:
                naive = NAIVE_SAMPLE if per_question * NAIVE_SAMPLE <= 2 * NAIVE_BUDGET_S else NAIVE_MIN
                naive_s = per_question * naive
        if self.parse_s_per_fact is None or self.index_s_per_fact is None:
            return Plan("full", naive, True)
        load = (self.parse_s_per_fact + self.index_s_per_fact) * facts
        index = self.index_s_per_fact * facts
        spare = self.left() - 25 * later - ENGINE_BUDGET_S - naive_s - 5
        # A reload beside a served snapshot runs slower than the first load (more memory to walk): ~1.3x.
        if 2.6 * load <= spare:
            return Plan("full", naive, True)
        if load <= spare:
            return Plan("load-only", naive, False, f"reload not timed (one load ~{load:.0f} s)")
        return Plan(
            "in-process",
            naive,
            3 * index <= spare,
            f"not parsed from YAML (a load would take ~{load:.0f} s of the {max(spare, 0):.0f} s left): "
            "facts built in process, index built and timed for real",
        )

    def estimate(self, row: dict) -> None:
        """Fill in load and reload times not measured at this size, from the largest size that was; mark them."""
        row["estimated"] = []
        if row["load_s"] is None:
            parse = (self.parse_s_per_fact or 0.0) * row["facts"]
            row["load_s"] = parse + row["index_s"]
            row["estimated"].append("load")
        if row["reload_s"] is None:
            parse = (self.parse_s_per_fact or 0.0) * row["facts"] if row["parse_s"] is None else row["parse_s"]
            row["reload_s"] = parse + row.get("reindex_s", row["index_s"])
            row["estimated"].append("reload")
