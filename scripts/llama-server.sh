#!/usr/bin/env bash
# llama.cpp's OpenAI-compatible `llama-server`, for `lookout assess --inference URL` (README,
# "Team deployment"). Built from a registry source: the PyPI sdist of llama-cpp-python, which
# vendors llama.cpp (as ../shared/tools/build-llama.sh builds llama-bench), once, into a cache.
#
# Usage: scripts/llama-server.sh build                 build (or find) the binary, print its path
#        scripts/llama-server.sh start [--model GGUF] [--port 8089] [--parallel N] [--ctx N]
#                                                      serve GGUF on 127.0.0.1:PORT in the
#                                                      background; returns once /health answers
#        scripts/llama-server.sh stop [--port 8089]    stop the server started for that port
#        scripts/llama-server.sh status [--port 8089]  exit 0 when it answers /health
#        scripts/llama-server.sh bench-tools           build llama-bench and llama-batched-bench
#                                                      beside it, print llama-bench's path (for
#                                                      `lookout bench assess --compare-llama`)
#
# Defaults: --model models/SmolLM2-135M-lookout.Q8_0.gguf, lookout's tuned default (else the base
# SmolLM2-135M-Instruct.Q8_0.gguf; after `bash scripts/setup.sh`; or in
# $LOOKOUT_MODELS_DIR),
# --port 8089, --parallel 4 (slots: concurrent requests the server decodes together),
# --ctx 4096 per slot. Environment: LOOKOUT_LLAMA_SERVER (an existing binary to use instead),
# LOOKOUT_LLAMA_DIR (cache, default ~/.cache/lookout-llama), LLAMA_CPP_PY_VERSION (sdist).
# Run state (pid file, log) lives in $LOOKOUT_LLAMA_DIR/run/PORT.{pid,log}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
root="${LOOKOUT_LLAMA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lookout-llama}"
ver="${LLAMA_CPP_PY_VERSION:-0.3.36}"
tag="$ver-noamx-server" # bump when the build flags change, so an old build is redone
say() { echo "llama-server.sh: $*" >&2; }

# Prints the path of a usable llama-server binary, building it first when needed (~8 min on 2
# cores the first time; later runs reuse the download, the source tree and the build).
build() {
  if [[ -n "${LOOKOUT_LLAMA_SERVER:-}" ]]; then
    [[ -x "$LOOKOUT_LLAMA_SERVER" ]] || { say "LOOKOUT_LLAMA_SERVER=$LOOKOUT_LLAMA_SERVER is not executable"; return 1; }
    echo "$LOOKOUT_LLAMA_SERVER"; return 0
  fi
  local bin="$root/bin" src="$root/src/llama_cpp_python-$ver/vendor/llama.cpp"
  if [[ -x "$bin/llama-server" && -f "$bin/.version" && "$(cat "$bin/.version")" == "$tag" ]]; then
    echo "$bin/llama-server"; return 0
  fi
  mkdir -p "$root/dl" "$root/src" "$bin"
  command -v cmake >/dev/null 2>&1 || python3 -m pip install -q cmake >&2
  command -v c++ >/dev/null 2>&1 || { apt-get update -qq >&2 && apt-get install -y -qq g++ make >&2; }
  local tgz="$root/dl/llama_cpp_python-$ver.tar.gz"
  if [[ ! -s "$tgz" ]]; then
    # --no-binary for this one package: the sdist is the source; pip compiles nothing here.
    python3 -m pip download -q --no-deps --no-binary llama-cpp-python \
      "llama-cpp-python==$ver" -d "$root/dl" >&2
  fi
  [[ -f "$src/CMakeLists.txt" ]] || tar xzf "$tgz" -C "$root/src" "llama_cpp_python-$ver/vendor/llama.cpp"
  # Host ISA from /proc/cpuinfo but AMX off: with -march=native on Sapphire-Rapids-class CPUs
  # this llama.cpp segfaults in ggml_backend_amx_mul_mat (see build-llama.sh).
  has() { grep -qw "$1" /proc/cpuinfo && echo ON || echo OFF; }
  local isa=(-DGGML_NATIVE=OFF -DGGML_SSE42="$(has sse4_2)" -DGGML_AVX="$(has avx)" -DGGML_AVX2="$(has avx2)"
    -DGGML_FMA="$(has fma)" -DGGML_F16C="$(has f16c)" -DGGML_BMI2="$(has bmi2)"
    -DGGML_AVX_VNNI="$(has avx_vnni)" -DGGML_AVX512="$(has avx512f)"
    -DGGML_AVX512_VBMI="$(has avx512vbmi)" -DGGML_AVX512_VNNI="$(has avx512_vnni)"
    -DGGML_AVX512_BF16="$(has avx512_bf16)" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
  say "building llama-server $ver into $bin (minutes)"
  cmake -S "$src" -B "$root/build" -DCMAKE_BUILD_TYPE=Release "${isa[@]}" \
    -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
    -DGGML_OPENMP=ON >&2
  cmake --build "$root/build" --config Release -j "$(nproc)" --target llama-server >&2
  cp -f "$root/build/bin/llama-server" "$bin/"
  echo "$tag" >"$bin/.version"
  echo "$bin/llama-server"
}

# The reference figures of `lookout bench assess --compare-llama` (llama-bench, and
# llama-batched-bench for `--batch`), from the same build; prints llama-bench's path.
bench_tools() {
  local bin="$root/bin"
  build >/dev/null
  [[ -d "$root/build" ]] || { say "no llama.cpp build in $root/build (LOOKOUT_LLAMA_SERVER skips it)"; return 1; }
  if [[ ! -x "$bin/llama-bench" || ! -x "$bin/llama-batched-bench" || "$bin/llama-bench" -ot "$bin/.version" ]]; then
    cmake --build "$root/build" --config Release -j "$(nproc)" --target llama-bench llama-batched-bench >&2
    cp -f "$root/build/bin/llama-bench" "$root/build/bin/llama-batched-bench" "$bin/"
  fi
  echo "$bin/llama-bench"
}

models="${LOOKOUT_MODELS_DIR:-$repo/models}"
# lookout's default model: the tuned one once set-up has merged it (the base runs past the
# answer limit on lookout's schema), else the base.
model="$models/SmolLM2-135M-lookout.Q8_0.gguf"
[[ -f "$model" ]] || model="$models/SmolLM2-135M-Instruct.Q8_0.gguf"
port=8089
parallel=4
ctx=4096
parse() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --model) model="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --parallel) parallel="$2"; shift 2 ;;
      --ctx) ctx="$2"; shift 2 ;;
      *) say "unknown option $1"; exit 2 ;;
    esac
  done
}

healthy() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/health"; }

start() {
  local run="$root/run" pidf="$root/run/$port.pid" log="$root/run/$port.log" exe pid
  mkdir -p "$run"
  if [[ -f "$pidf" ]] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    say "already running on port $port (pid $(cat "$pidf"))"; return 0
  fi
  [[ -f "$model" ]] || { say "no model at $model (run \`bash scripts/setup.sh\`, or give --model)"; return 1; }
  exe="$(build)"
  # Loopback only: the server has no authentication of its own here.
  # --ctx-size is the total over all slots; each slot gets ctx.
  # --alias: the model name the server reports (lookout records it with each assessment).
  nohup "$exe" --model "$model" --alias "$(basename "$model" .gguf)" --host 127.0.0.1 \
    --port "$port" --parallel "$parallel" --ctx-size "$((ctx * parallel))" \
    --threads "$(nproc)" >"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidf"
  for _ in $(seq 1 600); do
    if healthy; then say "serving $(basename "$model") on http://127.0.0.1:$port/v1 (pid $pid)"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "llama-server exited during start-up; its log ($log):"; tail -n 20 "$log" >&2
      rm -f "$pidf"; return 1
    fi
    sleep 0.2
  done
  say "llama-server did not answer /health within 120 s; log: $log"; return 1
}

stop() {
  local pidf="$root/run/$port.pid" pid
  [[ -f "$pidf" ]] || { say "nothing started on port $port"; return 0; }
  pid="$(cat "$pidf")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
  say "stopped port $port (pid $pid)"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  build) build ;;
  bench-tools) bench_tools ;;
  start) parse "$@"; start ;;
  stop) parse "$@"; stop ;;
  status) parse "$@"; healthy ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" >&2; exit 2 ;;
esac
