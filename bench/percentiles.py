"""Percentiles of timings: interpolated between samples, or the nearest rank (a value that was measured)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentile(values: Sequence[float], q: float) -> float:
    """numpy's linear interpolation between the closest ranks."""
    return float(np.percentile(np.asarray(values), q))


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The smallest sample with at least ``q`` percent of the samples at or below it; NaN without samples."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
