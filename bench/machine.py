"""What a benchmark ran on: the CPU, memory, Python and library versions, the code's revision and the load."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.paths import REPO_ROOT

LIBRARIES = ("torch", "sentence-transformers", "chromadb", "presidio-analyzer", "spacy")


@dataclass(frozen=True)
class MachineInfo:
    cpu_model: str
    cpu_count: int
    ram_gib: float
    python: str
    libraries: dict[str, str]
    git_revision: str
    load_before: tuple[float, float, float]


def cpu_model() -> str:
    """The CPU's name with its family and model numbers: virtual machines often name only the vendor's line
    ("AMD EPYC"), and two generations under one name run the models at very different speeds."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        return f"{name} (family {fields['cpu family']}, model {fields['model']})"
    return name


def total_ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def library_versions(names: Sequence[str] = LIBRARIES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{revision} (uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else revision


def machine_info(libraries: Sequence[str] = LIBRARIES) -> MachineInfo:
    return MachineInfo(
        cpu_model=cpu_model(),
        cpu_count=os.cpu_count() or 0,
        ram_gib=total_ram_gib(),
        python=platform.python_version(),
        libraries=library_versions(libraries),
        git_revision=git_revision(),
        load_before=os.getloadavg(),
    )


def format_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)
