"""The benchmarks' PNG figures: one figure's common set-up and saving, and copying it into docs/benchmarks/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.paths import DOCS_PLOTS_DIR, REPO_ROOT
from bench.tables import console


@contextmanager
def saved_figure(path: Path, title: str) -> Iterator[Any]:
    """The axes of a new 6x4 in. figure, written to ``path`` with a grid and a legend once the block has drawn."""
    import matplotlib  # deferred: heavy (matplotlib), only runs that draw a plot need it

    matplotlib.use("Agg")  # no display here; must precede the pyplot import
    import matplotlib.pyplot as plt  # deferred: heavy (matplotlib)

    figure, axis = plt.subplots(figsize=(6, 4))
    yield axis
    axis.set_title(title)
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def publish_plot(plot: Path, update_docs: bool) -> None:
    """Say where the current plot is; with ``update_docs``, copy it over the one in docs/benchmarks/."""
    console.print(f"plot: {plot.relative_to(REPO_ROOT)}")
    if update_docs:
        DOCS_PLOTS_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plot, DOCS_PLOTS_DIR / plot.name)
        console.print(f"copied to {(DOCS_PLOTS_DIR / plot.name).relative_to(REPO_ROOT)}")
