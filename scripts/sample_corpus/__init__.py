"""The Enclave sample corpus: document texts, manifest, file writers and checks (see scripts/make_sample_docs.py)."""
