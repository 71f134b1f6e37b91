"""The dated sections the benchmarks append to docs/benchmarks/history.md (and load_test to docs/reliability.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.machine import MachineInfo, format_load

BENCHMARKS_HEADER = """# Benchmarks: history

Figures measured by the scripts in `bench/`, which append a dated section to this file on each run
(newest last); the current figures are in `../benchmarks.md`. Each section names the machine, the library
versions and the exact command, so a figure can be reproduced and compared. Throughput excludes model
loading, which is shown apart.
"""


def section_opening(
    subject: str,
    machine: MachineInfo,
    command: str,
    load_after: tuple[float, float, float],
    settings: str | None = None,
    cpu_count_note: bool = False,
) -> list[str]:
    """The lines a section opens with: when, on what machine and software, at which revision, with which
    settings (when given) and command, under what load."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    libraries = ", ".join(f"{name} {version}" for name, version in machine.libraries.items())
    counted = " (`os.cpu_count()`)" if cpu_count_note else ""
    lines = [
        f"## {when}: {subject}",
        "",
        f"- Machine: {machine.cpu_model}, {machine.cpu_count} CPUs{counted}, {machine.ram_gib:.1f} GiB RAM",
        f"- Software: Python {machine.python}, {libraries}",
        f"- Code: git {machine.git_revision}",
    ]
    if settings is not None:
        lines.append(f"- Settings: {settings}")
    lines += [
        f"- Command: `{command}`",
        f"- Load average (1/5/15 min) before: {format_load(machine.load_before)}; after: {format_load(load_after)}",
    ]
    return lines


def append_section(path: Path, section: str, header: str = BENCHMARKS_HEADER) -> None:
    """Append ``section`` to ``path``, which starts as ``header`` when it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else header
    path.write_text(existing.rstrip("\n") + "\n\n" + section, encoding="utf-8")
