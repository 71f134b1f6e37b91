"""Logging for a benchmark run: warnings only, and none of the model libraries' chatter."""

from __future__ import annotations

import logging

NOISY_LOGGERS = ("presidio-analyzer", "presidio-anonymizer", "sentence_transformers", "chromadb")


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.ERROR)
