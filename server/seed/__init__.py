"""Demo data for the reference server: a realistic contact centre, seeded fast and reproducibly."""

from server.seed.report import SeedReport
from server.seed.runner import SeedError, run_seed

__all__ = ["SeedError", "SeedReport", "run_seed"]
