"""Enclave ingestion: load, redact, chunk, embed and store documents."""
