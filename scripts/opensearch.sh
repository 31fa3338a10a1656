#!/usr/bin/env bash
# An OpenSearch 2.19 cluster of one or two nodes on 127.0.0.1, without Docker, for the
# OpenSearch index backend (`lookout --index opensearch://...`, README "Team deployment"), its
# tests and its benchmark. Maven Central has the server's jars but no distribution, so the
# server, its HTTP module (transport-netty4) and analysis-common are fetched by Maven and
# started in-process by tools/opensearch-launcher (built once, cached outside the clone).
#
# Usage: scripts/opensearch.sh build           fetch and build the launcher (first time: ~60 MB
#                                              from Maven Central); prints its folder
#        scripts/opensearch.sh built           print the launcher's folder when it is built and
#                                              current (fetches nothing), else exit 1
#        scripts/opensearch.sh start [--nodes N] [--port P] [--heap SIZE] [--dir DIR]
#                                              start N nodes (1 or 2; HTTP on P, P+1; default
#                                              9200; `--port auto`: free ports), data in DIR
#                                              (default: a new temp dir), and wait until the
#                                              cluster has N nodes; prints the index URL
#        scripts/opensearch.sh start --port P --node I
#                                              start node I (0-based) of that cluster again
#        scripts/opensearch.sh stop [--port P] [--node I]
#                                              stop the cluster on P (and remove its temp
#                                              data), or only node I (data kept)
#        scripts/opensearch.sh status [--port P]
#                                              the cluster's health, or exit 1 when none runs
#
# Single node: discovery.type=single-node. Two nodes: two JVMs finding each other through
# discovery.seed_hosts on loopback. Heap default 1g per node. Environment:
# LOOKOUT_OPENSEARCH_DIR (the build cache; default ~/.cache/lookout-opensearch), JAVA_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../tools/opensearch-launcher"
version=2.19.6
cache="${LOOKOUT_OPENSEARCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lookout-opensearch}"
build="$cache/$version"
runs="$cache/run"

say() { echo "opensearch.sh: $*" >&2; }
usage() { sed -n '2,30p' "$0" >&2; exit 2; }

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; return; fi
  command -v java >/dev/null 2>&1 || { say "java is missing (OpenSearch 2.19 runs on Java 17: apt-get install openjdk-17-jre-headless)"; return 1; }
  echo java
}

# The launcher's sources' hash: a change to the pom or the launcher rebuilds it.
stamp() { cat "$src/pom.xml" "$src"/src/main/java/org/lookout/opensearch/*.java | sha256sum | cut -c1-16; }

do_build() {
  local want; want="$(stamp)"
  if [[ -f "$build/stamp" && "$(cat "$build/stamp")" == "$want" && -f "$build/launcher.jar" ]]; then
    echo "$build"; return 0
  fi
  command -v mvn >/dev/null 2>&1 || { say "maven is missing (apt-get install maven; scripts/setup-test.sh opensearch does)"; return 1; }
  say "building the launcher and fetching OpenSearch $version (Maven Central, once)"
  local tmp="$build.tmp"
  rm -rf "$tmp"
  mvn -q -B -f "$src/pom.xml" -Dmaven.repo.local="$cache/m2" -Dlauncher.build="$tmp/target" package >&2 \
    || { say "maven build failed (above)"; return 1; }
  mkdir -p "$tmp/lib"
  mv "$tmp/target/opensearch-launcher-$version.jar" "$tmp/launcher.jar"
  mv "$tmp/target/lib/"*.jar "$tmp/lib/"
  rm -rf "$tmp/target"
  echo "$want" >"$tmp/stamp"
  rm -rf "$build"
  mv "$tmp" "$build"
  echo "$build"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_up() { curl -fsS -m 5 "http://127.0.0.1:$1/_cluster/health?wait_for_nodes=$2&timeout=1s" 2>/dev/null | grep -q '"timed_out":false'; }

# Starts node $2 of the cluster whose run folder is $1, from the settings saved at its start.
start_node() {
  local dir="$1" i="$2" java; java="$(java_bin)"
  local node="$dir/node-$i"
  # shellcheck disable=SC2046
  (cd "$node" && exec "$java" -Xms"$(cat "$dir/heap")" -Xmx"$(cat "$dir/heap")" -XX:+UseG1GC \
      -Djava.io.tmpdir="$node/tmp" -Djava.locale.providers=SPI,COMPAT -Dlog4j2.disable.jmx=true \
      -Dfile.encoding=UTF-8 -cp "$build/launcher.jar:$build/lib/*" org.lookout.opensearch.Launcher \
      $(cat "$node/settings") >>"$node/out.log" 2>&1 </dev/null & echo $! >"$node/pid")
}

wait_up() {
  local dir="$1" port="$2" nodes="$3" i
  for ((i = 0; i < 180; i++)); do
    http_up "$port" "$nodes" && return 0
    # A node that died (port taken, bad setting) will not come up: say why at once.
    local n
    for n in "$dir"/node-*; do
      if ! kill -0 "$(cat "$n/pid")" 2>/dev/null; then
        say "node $(basename "$n") exited:"; tail -n 30 "$n/out.log" >&2; return 1
      fi
    done
    sleep 1
  done
  say "the cluster on port $port did not report $nodes node(s) in 180 s"; return 1
}

start() {
  local nodes=1 port=9200 heap=1g dir="" only=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --nodes) nodes="$2"; shift 2 ;;
      --port) port="$2"; shift 2 ;;
      --heap) heap="$2"; shift 2 ;;
      --dir) dir="$2"; shift 2 ;;
      --node) only="$2"; shift 2 ;;
      *) say "unknown option $1"; usage ;;
    esac
  done
  [[ "$nodes" == 1 || "$nodes" == 2 ]] || { say "--nodes is 1 or 2"; return 2; }
  do_build >/dev/null
  mkdir -p "$runs"
  if [[ -n "$only" ]]; then
    [[ -f "$runs/$port" ]] || { say "no cluster on port $port to restart a node of"; return 1; }
    dir="$(cat "$runs/$port")"
    [[ -d "$dir/node-$only" ]] || { say "no node $only in $dir"; return 1; }
    kill -0 "$(cat "$dir/node-$only/pid")" 2>/dev/null && { say "node $only already runs"; return 0; }
    start_node "$dir" "$only"
    wait_up "$dir" "$port" "$(cat "$dir/nodes")"
    echo "opensearch://127.0.0.1:$port"
    return 0
  fi
  if [[ "$port" == auto ]]; then port="$(free_port)"; fi
  if [[ -f "$runs/$port" ]] && http_up "$port" 1; then
    say "a cluster already runs on port $port ($(cat "$runs/$port"))"; echo "opensearch://127.0.0.1:$port"; return 0
  fi
  if curl -fsS -m 2 "http://127.0.0.1:$port/" >/dev/null 2>&1; then
    say "port $port already answers HTTP (another server): choose --port"; return 1
  fi
  local temp=0
  if [[ -z "$dir" ]]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/lookout-opensearch.XXXXXX")"; temp=1; fi
  mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
  echo "$heap" >"$dir/heap"; echo "$nodes" >"$dir/nodes"; echo "$temp" >"$dir/temp"
  local http=() transport=() i
  for ((i = 0; i < nodes; i++)); do
    if [[ "$i" == 0 ]]; then http+=("$port"); else http+=("$(( port + i ))"); fi
    transport+=("$(free_port)")
  done
  [[ "$nodes" == 1 ]] || [[ "${transport[0]}" != "${transport[1]}" ]] || transport[1]="$(free_port)"
  local seeds="127.0.0.1:${transport[0]}"
  for ((i = 1; i < nodes; i++)); do seeds="$seeds,127.0.0.1:${transport[$i]}"; done
  for ((i = 0; i < nodes; i++)); do
    local node="$dir/node-$i"
    mkdir -p "$node/tmp"
    {
      echo "cluster.name=lookout-$port node.name=node-$i path.home=$node path.data=$node/data path.logs=$node/logs"
      echo "network.host=127.0.0.1 http.port=${http[$i]} transport.port=${transport[$i]}"
      # Tests and laptops run with full-ish disks; a watermark must not turn indices read-only.
      echo "cluster.routing.allocation.disk.threshold_enabled=false"
      if [[ "$nodes" == 1 ]]; then
        echo "discovery.type=single-node"
      else
        echo "discovery.seed_hosts=$seeds cluster.initial_cluster_manager_nodes=node-0"
        # Two manager-eligible nodes cannot lose either one and keep a quorum, so only node 0
        # manages the cluster; the others hold data (replicas), and stopping them is survivable.
        [[ "$i" == 0 ]] || echo "node.roles=data,ingest"
      fi
    } | tr '\n' ' ' >"$node/settings"
  done
  echo "$dir" >"$runs/$port"
  for ((i = 0; i < nodes; i++)); do start_node "$dir" "$i"; done
  if ! wait_up "$dir" "$port" "$nodes"; then stop --port "$port"; return 1; fi
  echo "opensearch://127.0.0.1:$port"
}

stop() {
  local port=9200 only=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --node) only="$2"; shift 2 ;;
      *) say "unknown option $1"; usage ;;
    esac
  done
  [[ -f "$runs/$port" ]] || { say "no cluster recorded on port $port"; return 0; }
  local dir; dir="$(cat "$runs/$port")"
  local n pids=()
  for n in "$dir"/node-*; do
    [[ -z "$only" || "$n" == "$dir/node-$only" ]] || continue
    [[ -f "$n/pid" ]] || continue
    local pid; pid="$(cat "$n/pid")"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  # The node flushes and closes on SIGTERM; past 30 s it is killed.
  local p t
  for p in "${pids[@]}"; do
    for ((t = 0; t < 60; t++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [[ -z "$only" ]]; then
    rm -f "$runs/$port"
    if [[ "$(cat "$dir/temp" 2>/dev/null)" == 1 ]]; then rm -rf "$dir"; fi
  fi
}

status() {
  local port=9200
  [[ "${1:-}" == --port ]] && port="$2"
  curl -fsS -m 5 "http://127.0.0.1:$port/_cluster/health?pretty" || { say "no cluster answers on port $port"; return 1; }
}

case "${1:-}" in
  build) do_build ;;
  built) [[ -f "$build/stamp" && "$(cat "$build/stamp")" == "$(stamp)" && -f "$build/launcher.jar" ]] && echo "$build" ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  status) shift; status "$@" ;;
  *) usage ;;
esac
