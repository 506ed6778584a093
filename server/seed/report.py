"""What a seed run wrote, and how fast."""

from dataclasses import dataclass, field


@dataclass(slots=True)
class SeedReport:
    """Row counts per table, elapsed seconds and the overall insert rate."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    seq: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        tables = ", ".join(f"{name} {count:,}" for name, count in sorted(self.counts.items()))
        return f"{self.rows:,} rows in {self.seconds:.1f} s ({self.rows_per_s:,.0f} rows/s): {tables}"
