#!/usr/bin/env bash
# Tandem's NBD server against nbdkit's file plugin, same kind of file on the same disk, same run:
# 1 MiB sequential write (MB/s) and 4 KiB random write IOPS at queue depth 1 and 32, driven by fio's
# nbd engine (libnbd). Rounds alternate between the servers; each figure is the best of its rounds.
# Needs: the built application (./mvnw package -DskipTests), nbdkit, fio, python3.
# Settings: BENCH_DIR (default a new directory under /var/tmp), SIZE (1G), RUNTIME seconds (10), ROUNDS (2).
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
app="$here/target/quarkus-app"
size=${SIZE:-1G} runtime=${RUNTIME:-10} rounds=${ROUNDS:-2}
for tool in nbdkit fio python3 nbdinfo; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (Debian: nbdkit fio python3 libnbd-bin)" >&2; exit 1; }
done
[ -d "$app/lib/main" ] || { echo "bench: $app is missing; build it first: ./mvnw package -DskipTests" >&2; exit 1; }
JAVA_HOME=$("$here/deploy/java-home.sh")
jvm_opts=()
release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null || true)
if [ "${release:-0}" -ge 24 ]; then jvm_opts+=(--sun-misc-unsafe-memory-access=allow); fi

dir=${BENCH_DIR:-$(mktemp -d /var/tmp/tandem-bench.XXXXXX)}
mkdir -p "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$dir/tandem.img" "$dir/nbdkit.img"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 100); do nbdinfo --size "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "bench: no NBD server answers at $1" >&2; exit 1
}

for f in tandem nbdkit; do rm -f "$dir/$f.img"; fallocate -l "$size" "$dir/$f.img"; done
tport=$(free_port) kport=$(free_port)
"$JAVA_HOME/bin/java" "${jvm_opts[@]}" ${TANDEM_JAVA_OPTS:-} -cp "$app/app/*:$app/lib/main/*:$app/lib/boot/*" \
  uk.e42.tandem.nbd.NbdFileServer "$dir/tandem.img" --port "$tport" --name replicated0 >"$dir/tandem.log" 2>&1 &
pids+=($!)
nbdkit -f -p "$kport" -i 127.0.0.1 file "$dir/nbdkit.img" >"$dir/nbdkit.log" 2>&1 &
pids+=($!)
turi="nbd://127.0.0.1:$tport/replicated0" kuri="nbd://127.0.0.1:$kport/"
wait_for "$turi"; wait_for "$kuri"

# fio prints JSON (after a "connected to NBD server" line); the figure is write MB/s or write IOPS.
run_fio() { # uri figure
  local args
  case $2 in
    seq) args=(--rw=write --bs=1M --iodepth=8) ;;
    qd1) args=(--rw=randwrite --bs=4k --iodepth=1) ;;
    qd32) args=(--rw=randwrite --bs=4k --iodepth=32) ;;
  esac
  fio --name=bench --ioengine=nbd --uri="$1" "${args[@]}" --size="$size" --time_based --runtime="$runtime" \
    --output-format=json | python3 -c '
import json, sys
text = sys.stdin.read()
w = json.loads(text[text.index("{"):])["jobs"][0]["write"]
print(round(w["bw_bytes"] / 1e6, 1) if sys.argv[1] == "seq" else round(w["iops"]))' "$2"
}

echo "bench: warming up Tandem's JIT (not counted)" >&2
RUNTIME_SAVE=$runtime runtime=5
for f in seq qd1 qd32; do run_fio "$turi" "$f" >/dev/null; done
runtime=$RUNTIME_SAVE

declare -A best
for r in $(seq "$rounds"); do
  for f in seq qd1 qd32; do
    for s in tandem nbdkit; do
      uri=$turi; [ "$s" = nbdkit ] && uri=$kuri
      v=$(run_fio "$uri" "$f")
      echo "bench: round $r $f $s $v" >&2
      if [ -z "${best[$s.$f]:-}" ] || python3 -c "import sys; sys.exit(0 if $v > ${best[$s.$f]} else 1)"; then
        best[$s.$f]=$v
      fi
    done
  done
done

echo
echo "NBD write performance, $(nproc) cores, files of $size in $dir, fio $(fio --version), best of $rounds x ${runtime}s"
printf '| %-32s | %10s | %10s | %6s |\n' figure Tandem nbdkit ratio
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..34})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..8})"
for f in seq qd1 qd32; do
  case $f in
    seq) label="1 MiB sequential write, MB/s" ;;
    qd1) label="4 KiB random write QD1, IOPS" ;;
    qd32) label="4 KiB random write QD32, IOPS" ;;
  esac
  ratio=$(python3 -c "print(f'{${best[tandem.$f]} / ${best[nbdkit.$f]}:.2f}x')")
  printf '| %-32s | %10s | %10s | %6s |\n' "$label" "${best[tandem.$f]}" "${best[nbdkit.$f]}" "$ratio"
done
