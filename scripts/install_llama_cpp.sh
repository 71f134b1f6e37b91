#!/usr/bin/env bash
# Install llama-cpp-python into the virtualenv of PYTHON, compiled with CMAKE_ARGS.
#
# pip's wheel cache keys a wheel built from source by its download URL only, not by CMAKE_ARGS: a
# wheel built earlier with other options (natively, on another CPU) would be reused silently and may
# crash. So the wheel is built once per (CMAKE_ARGS, Python version) into a wheelhouse of our own,
# with pip's cache bypassed, and later installs reuse it.
set -euo pipefail
python="${1:?usage: install_llama_cpp.sh PYTHON}"
spec="${LLAMA_CPP_SPEC:-llama-cpp-python==0.3.36}"
cache_root="${ENCLAVE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/enclave/llama-cpp-wheels}"
abi="$("$python" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
key="$(printf '%s|%s|%s' "${CMAKE_ARGS:-}" "$abi" "$spec" | sha256sum | cut -c1-16)"
wheels="$cache_root/$key"

if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "Compiling llama-cpp-python (CMAKE_ARGS='${CMAKE_ARGS:-}'): 4 to 11 minutes on 2 cores" >&2
    mkdir -p "$wheels.partial"
    "$python" -m pip wheel --no-cache-dir --no-deps --wheel-dir "$wheels.partial" "$spec"
    # Renamed only once complete, so an interrupted build is never taken for a finished one.
    rm -rf "$wheels"
    mv "$wheels.partial" "$wheels"
fi
"$python" -m pip install --no-deps "$(ls -t "$wheels"/llama_cpp_python-*.whl | head -n 1)"
