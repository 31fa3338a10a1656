#!/usr/bin/env bash
# Sets up the Python side of `lookout train`: a venv with the pinned training dependencies
# (training/requirements.txt: torch, transformers, ... about 3 GB of wheels, 6 GB installed) and
# llama.cpp's HF -> GGUF converter (convert_hf_to_gguf.py + gguf-py), unpacked from the pinned,
# sha256-checked llama-cpp-python sdist on PyPI. Idempotent: a venv whose stamp matches the
# requirements is kept as it is. Run by `lookout train` on first use and by `make test` (for
# tests/train.rs, through scripts/setup-test.sh), never by `make setup`.
#
# Usage: scripts/setup-train.sh [VENV_DIR]
#   VENV_DIR defaults to $LOOKOUT_TRAIN_VENV, else ${LOOKOUT_DATA_DIR:-~/.local/share/lookout}/train-venv.
# Prints, on stdout, one `key=path` line each for python, convert, gguf_py and venv; progress
# goes to stderr.
set -euo pipefail

LCP_VERSION="0.3.36"
LCP_SDIST="llama_cpp_python-${LCP_VERSION}.tar.gz"
LCP_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
# The pip requirement. The stamp below appends more to it; pip must get this alone.
LCP_SPEC="llama-cpp-python==${LCP_VERSION}"
# Bumped whenever what this script installs changes without the requirements changing.
LAYOUT=2

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
reqs="$here/../training/requirements.txt"
case "${1:-}" in
  -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
esac
data_dir="${LOOKOUT_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/lookout}"
venv="${1:-${LOOKOUT_TRAIN_VENV:-$data_dir/train-venv}}"

say() { echo "setup-train: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

[[ -f "$reqs" ]] || { say "ERROR: $reqs is missing"; exit 1; }
mkdir -p "$venv"
venv="$(cd "$venv" && pwd)"
py="$venv/bin/python"
llama="$venv/llama.cpp"
convert="$llama/convert_hf_to_gguf.py"
stamp="$venv/.lookout-train-stamp"
want_stamp="$(cat "$reqs" | sha256sum | cut -d' ' -f1) $LCP_SPEC layout $LAYOUT"

if [[ -x "$py" && -f "$convert" && -d "$llama/conversion" && -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]]; then
  say "venv $venv is up to date"
else
  if [[ ! -x "$py" ]]; then
    say "creating venv $venv"
    python3 -m venv "$venv" >&2
  fi
  say "installing the training dependencies (first time: ~3 GB download, several minutes)"
  "$py" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$py" -m pip install --disable-pip-version-check --progress-bar off -r "$reqs" >&2

  # llama.cpp's converter, from the llama-cpp-python sdist. `--no-binary` only for that package:
  # its build dependencies come as wheels (pip prepares the sdist's metadata, it compiles nothing).
  dl="$venv/cache"
  mkdir -p "$dl"
  if [[ ! -f "$dl/$LCP_SDIST" || "$(sha "$dl/$LCP_SDIST")" != "$LCP_SHA256" ]]; then
    say "downloading $LCP_SPEC (sdist) from PyPI"
    rm -f "$dl/$LCP_SDIST"
    "$py" -m pip download --quiet --disable-pip-version-check --no-deps \
      --no-binary llama-cpp-python "$LCP_SPEC" -d "$dl" >&2
  fi
  got="$(sha "$dl/$LCP_SDIST")"
  if [[ "$got" != "$LCP_SHA256" ]]; then
    say "ERROR: $LCP_SDIST has sha256 $got, expected $LCP_SHA256; refusing to use it"
    rm -f "$dl/$LCP_SDIST"
    exit 1
  fi
  rm -rf "$llama" "$dl/unpack"
  mkdir -p "$dl/unpack"
  top="llama_cpp_python-$LCP_VERSION/vendor/llama.cpp"
  # The converter is split: convert_hf_to_gguf.py imports its model classes from conversion/.
  tar -xzf "$dl/$LCP_SDIST" -C "$dl/unpack" "$top/convert_hf_to_gguf.py" "$top/conversion" \
    "$top/gguf-py" "$top/LICENSE"
  mv "$dl/unpack/$top" "$llama"
  rm -rf "$dl/unpack"
  "$py" - <<'PY' >&2
import torch, transformers, gguf, sentencepiece, safetensors, numpy
print(f"torch {torch.__version__}, transformers {transformers.__version__}, numpy {numpy.__version__}")
PY
  echo "$want_stamp" > "$stamp"
  say "venv ready"
fi

echo "venv=$venv"
echo "python=$py"
echo "convert=$convert"
echo "gguf_py=$llama/gguf-py"
