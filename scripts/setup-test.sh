#!/usr/bin/env bash
# What the test suite needs beyond `make setup` (the model and the ATT&CK catalog), run by
# `make test`; tests/common/mod.rs is where the tests look for all of it.
#
# Usage: scripts/setup-test.sh tools   tmux (the workbench's end-to-end tests drive the binary
#                                      through it) and python3's venv module (Debian ships it
#                                      apart): installed with apt-get when missing and root,
#                                      else a message saying how.
#        scripts/setup-test.sh venv    the training venv for tests/train.rs, through
#                                      scripts/setup-train.sh (~3 GB from PyPI the first time;
#                                      a venv whose stamp matches is kept, in well under a second).
#                                      Where: $LOOKOUT_TRAIN_VENV, else setup-train.sh's default.
#        scripts/setup-test.sh llama   llama.cpp's llama-server for tests/inference.rs, through
#                                      scripts/llama-server.sh build (from the PyPI sdist of
#                                      llama-cpp-python; ~8 min on 2 cores the first time, then
#                                      cached in ~/.cache/lookout-llama).
#        scripts/setup-test.sh postgres PostgreSQL's server for tests/store_postgres.rs
#                                      (Debian's postgresql package: apt-get when root and
#                                      missing), then a throw-away cluster started and stopped
#                                      through scripts/postgres.sh to show that it runs here.
#        scripts/setup-test.sh opensearch OpenSearch 2.19 for tests/index_opensearch.rs: Java 17
#                                      and Maven (Debian's packages: apt-get when root and
#                                      missing), the launcher built through scripts/opensearch.sh
#                                      build (the server's jars from Maven Central the first time,
#                                      then cached in ~/.cache/lookout-opensearch), then a
#                                      one-node cluster started and stopped on a free port.
# All are idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "setup-test: $*" >&2; }

apt_updated=0
# Installs Debian package $1 when root with apt-get; else says how, and returns 1.
apt_install() {
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing $1 (apt-get)"
    if [[ "$apt_updated" == 0 ]]; then
      apt-get update -qq >&2 && apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2
  else
    say "$1 is missing and this is not root: install it (e.g. \`sudo apt-get install $1\`)"
    return 1
  fi
}

tools() {
  local ok=0
  if ! command -v tmux >/dev/null 2>&1; then
    apt_install tmux || ok=1
  fi
  # `python3 -m venv` (setup-model.sh's Q8_0 step, setup-train.sh) needs ensurepip.
  if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv || ok=1
  fi
  if [[ "$ok" != 0 ]]; then
    say "without these, the tests that need them skip with a note (and fail where LOOKOUT_REQUIRE_DATA=1)"
  fi
}

venv() {
  local start=$SECONDS
  if ! bash "$here/setup-train.sh" ${LOOKOUT_TRAIN_VENV:+"$LOOKOUT_TRAIN_VENV"} >/dev/null; then
    say "ERROR: the training venv could not be set up (scripts/setup-train.sh, above)"
    return 1
  fi
  say "training venv ready ($((SECONDS - start)) s)"
}

llama() {
  local start=$SECONDS bin
  if ! bin="$(bash "$here/llama-server.sh" build)"; then
    say "ERROR: llama-server could not be built (scripts/llama-server.sh build, above)"
    return 1
  fi
  say "llama-server ready: $bin ($((SECONDS - start)) s)"
}

postgres() {
  local start=$SECONDS bin dir url
  if ! bin="$(bash "$here/postgres.sh" bin 2>/dev/null)"; then
    apt_install postgresql || return 1
    bin="$(bash "$here/postgres.sh" bin)" || return 1
  fi
  dir="$(mktemp -d)"
  if ! url="$(bash "$here/postgres.sh" start "$dir" --fast)"; then
    say "ERROR: a PostgreSQL server could not be started from $bin (scripts/postgres.sh, above)"
    rm -rf "$dir"
    return 1
  fi
  bash "$here/postgres.sh" stop "$dir"
  rm -rf "$dir"
  say "postgres ready: $bin (a server started and stopped at ${url%/*}; $((SECONDS - start)) s)"
}

opensearch() {
  local start=$SECONDS url port
  if ! command -v javac >/dev/null 2>&1; then
    apt_install openjdk-17-jdk-headless || return 1
  fi
  if ! command -v mvn >/dev/null 2>&1; then
    apt_install maven || return 1
  fi
  if ! bash "$here/opensearch.sh" build >/dev/null; then
    say "ERROR: the OpenSearch launcher could not be built (scripts/opensearch.sh build, above)"
    return 1
  fi
  if ! url="$(bash "$here/opensearch.sh" start --port auto --heap 512m)"; then
    say "ERROR: an OpenSearch node could not be started (scripts/opensearch.sh, above)"
    return 1
  fi
  port="${url##*:}"
  bash "$here/opensearch.sh" stop --port "$port"
  say "opensearch ready (a node started and stopped at 127.0.0.1:$port; $((SECONDS - start)) s)"
}

case "${1:-}" in
  tools) tools ;;
  postgres) postgres ;;
  opensearch) opensearch ;;
  venv) venv ;;
  llama) llama ;;
  *) sed -n '2,27p' "$0" >&2; exit 2 ;;
esac
