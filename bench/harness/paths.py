"""Where the benchmarks, the checkout, its interpreter and the results are."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"
