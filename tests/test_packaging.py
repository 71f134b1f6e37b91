"""What the project declares is what the tests were written against."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from .conftest import REPO


def _pins(name: str) -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]
    return {r for r in requirements if re.match(rf"{re.escape(name)}(\[.*\])?\s*[=<>!~]", r)}


def test_llama_cpp_python_is_pinned_to_the_version_the_tests_were_written_against() -> None:
    """Issue 34 item 19: the tests assert the bundled model's exact words, which another llama-cpp-python (and
    so another llama.cpp) may change; the dependency, the dev extra and the compiled wheel name one version."""
    pins = _pins("llama-cpp-python")
    versions = {pin.split("==", 1)[1] for pin in pins if "==" in pin}
    assert pins and len(versions) == 1 and all("==" in pin for pin in pins), pins
    (version,) = versions
    script = (REPO / "scripts" / "install_llama_cpp.sh").read_text("utf-8")
    assert f"llama-cpp-python=={version}" in script
    assert metadata.version("llama_cpp_python") == version
