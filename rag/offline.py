"""Keep every model library off the network.

Hugging Face libraries read their offline switches when they are first imported, so this runs from
``rag/__init__`` before anything imports them.
"""

from __future__ import annotations

import os
import sys

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    # Chroma reads this for its posthog telemetry; we also pass anonymized_telemetry=False.
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def force_offline_env() -> None:
    """Set the offline switches of every model library (overriding anything inherited)."""
    os.environ.update(_OFFLINE_ENV)
    block_openvino_telemetry()


def block_openvino_telemetry() -> None:
    """Make ``import openvino`` send nothing.

    ``import openvino`` imports its converter, which sends a "general_import" event to Google Analytics
    from a forked process unless a consent file in the home folder says no, and writes that folder
    otherwise. Its telemetry module is an optional import there, with a no-op stub when it is missing: so
    it is made impossible to import (``None`` in ``sys.modules``), and the stub is what runs.
    """
    if "openvino_telemetry" not in sys.modules:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]


def use_bundled_public_suffix_list() -> None:
    """Stop tldextract (used by Presidio's email recognizer) from fetching the public-suffix list.

    Its default extractor downloads the list on first use; an extractor with no suffix-list URLs
    uses the snapshot shipped inside the package instead.
    """
    import tldextract  # deferred: only once the offline switches are set
    import tldextract.tldextract as tld_module  # deferred: only once the offline switches are set

    offline_extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tld_module.TLD_EXTRACTOR = offline_extractor
    tldextract.extract = offline_extractor  # type: ignore[assignment]
