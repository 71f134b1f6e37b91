# Two commands matter: `make serve` (install, then run Enclave on the bundled defaults) and
# `make test` (install, then run the test suite). Both install into ./.venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE_DATA_DIR ?= .enclave-data

.PHONY: install serve test test-all lint sample-docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The first install compiles llama-cpp-python from source (4 to 11 minutes on 2 cores) into a
# wheelhouse keyed by CMAKE_ARGS (scripts/install_llama_cpp.sh), so later installs take seconds. pip's own
# cache is bypassed for it: it ignores CMAKE_ARGS and would hand back a wheel built natively elsewhere.
# It is compiled for a portable x86-64 baseline (AVX2, FMA), not with -march=native: on a CPU with AMX,
# ggml's native build uses AMX tiles, which crash (SIGSEGV in ggml_backend_amx_mul_mat) in virtual
# machines that do not grant them. Without OpenMP, ggml uses its own thread pool: with OpenMP it shared
# torch's runtime, which stops spinning at barriers while more OpenMP threads exist than cores, and
# generation in the server ran at 62% of its speed once an embedding had run on a long-lived thread.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_OPENMP=OFF
$(VENV)/.installed: pyproject.toml scripts/install_llama_cpp.sh | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	scripts/install_llama_cpp.sh $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Ingest sample_docs/ (unchanged files are skipped on later runs), then serve the API on 127.0.0.1:8000.
serve: install
	@command -v tesseract >/dev/null 2>&1 || echo "Note: OCR unavailable: install tesseract-ocr, tesseract-ocr-eng and tesseract-ocr-fra (Debian/Ubuntu, as root) to read scanned pages and images; everything else works without."
	ENCLAVE_DATA_DIR=$(SAMPLE_DATA_DIR) $(BIN)/enclave ingest sample_docs
	ENCLAVE_DATA_DIR=$(SAMPLE_DATA_DIR) $(BIN)/enclave serve

test: install
	$(BIN)/python -m pytest -m "not slow"

test-all: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

sample-docs: install
	$(BIN)/python scripts/make_sample_docs.py

clean:
	rm -rf $(VENV) $(SAMPLE_DATA_DIR)
