#!/usr/bin/env bash
# The real daemons' write path through NBD, against nbdkit's file plugin serving the same kind of file in
# the same run: one node (StandAlone Primary), then two nodes on 127.0.0.1 with protocols A, B and C, each
# over TLS (static-key, the default) and plaintext. Figures: 1 MiB sequential write MB/s (QD8), 4 KiB
# random write IOPS at QD1 (with p50/p99 latency) and QD32, driven by fio's nbd engine; then the issue's
# targets as ratios. The pair skips its initial sync (new-current-uuid --clear-bitmap, both disks empty).
# Settings: BENCH_DIR, SIZE_MIB (512), RUNTIME seconds per figure (10), CONFIGS (all of them:
# "single A A-plain B B-plain C C-plain").
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need fio nbdkit nbdinfo python3 curl
size_mib=${SIZE_MIB:-512} runtime=${RUNTIME:-10}
configs=${CONFIGS:-single A A-plain B B-plain C C-plain}
fio_size=$((size_mib - 64))M   # leaves room for the internal meta data at the end of the disk
node_init rosaria paimon
declare -A fig   # config.figure -> "MB/s IOPS p50 p99"

measure() { # config uri
  log "$1: warming up (not counted)"
  fio_nbd "$2" seq 3 "$fio_size" >/dev/null
  fio_nbd "$2" qd1 3 "$fio_size" >/dev/null
  for f in seq qd1 qd32; do
    fig[$1.$f]=$(fio_nbd "$2" "$f" "$runtime" "$fio_size")
    log "$1 $f: ${fig[$1.$f]} (MB/s IOPS p50us p99us)"
  done
}

run_tandem() { # config
  local c=$1 proto=${1%%-*} nodes=(rosaria paimon)
  [ "$c" = single ] && proto=C nodes=(rosaria)
  TLS_MODE=static-key; [[ $c == *-plain ]] && TLS_MODE=plaintext
  export TLS_MODE
  write_conf "$proto" "" "" rosaria paimon
  for n in "${nodes[@]}"; do
    rm -f "$dir/$n.img"; fallocate -l "${size_mib}M" "$dir/$n.img"
    on "$n" create-md --force r0 >/dev/null 2>&1
    start_node "$n"
    on "$n" up r0 >/dev/null
  done
  serve_on_rosaria "$([ "$c" = single ] && echo alone || echo pair)"
  log "$c: $(on rosaria proc | sed -n 's/^ *0: //p')"
  measure "$c" "nbd://127.0.0.1:${nbd_port[rosaria]}/r0"
  for n in "${nodes[@]}"; do stop_node "$n"; rm -f "$dir/$n.img"; done
}

run_nbdkit() {
  local port
  port=$(free_port)
  fallocate -l "${size_mib}M" "$dir/nbdkit.img"
  nbdkit -f -p "$port" -i 127.0.0.1 file "$dir/nbdkit.img" >"$dir/nbdkit.log" 2>&1 &
  local pid=$!
  pids+=($pid)
  for _ in $(seq 100); do nbdinfo --size "nbd://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.2; done
  measure nbdkit "nbd://127.0.0.1:$port/"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$dir/nbdkit.img"
}

run_nbdkit
for c in $configs; do run_tandem "$c"; done
load=$(cut -d' ' -f1-3 /proc/loadavg)

col() { echo "${fig[$1.$2]:-}" | cut -d' ' -f"$3"; }   # config figure field (1 MB/s, 2 IOPS, 3 p50, 4 p99)
echo
machine
echo "fio $(fio --version) nbd engine, files of ${size_mib} MiB in $dir, ${runtime}s per figure, nbdkit $(nbdkit --version | cut -d' ' -f2)"
printf '| %-15s | %9s | %9s | %9s | %9s | %9s |\n' server "seq MB/s" "QD1 IOPS" "QD1 p50us" "QD1 p99us" "QD32 IOPS"
printf '|-----------------|-----------|-----------|-----------|-----------|-----------|\n'
for c in nbdkit $configs; do
  label=$c
  case $c in single) label="Tandem 1 node" ;; nbdkit) label="nbdkit file" ;;
    *-plain) label="proto ${c%%-*} plain" ;; *) label="proto $c TLS" ;; esac
  printf '| %-15s | %9s | %9s | %9s | %9s | %9s |\n' "$label" "$(col "$c" seq 1)" "$(col "$c" qd1 2)" \
    "$(col "$c" qd1 3)" "$(col "$c" qd1 4)" "$(col "$c" qd32 2)"
done

echo
echo "targets (load average after the runs: $load)"
printf '| %-52s | %8s | %7s |\n' target ratio verdict
printf '|------------------------------------------------------|----------|---------|\n'
target() { # label numerator denominator minimum|-maximum
  [ -n "$2" ] && [ -n "$3" ] || return 0
  local r ok
  r=$(python3 -c "print(f'{$2 / $3:.2f}')")
  if [[ $4 == -* ]]; then ok=$(holds "$r <= ${4#-}"); else ok=$(holds "$r >= $4"); fi
  printf '| %-52s | %7sx | %7s |\n' "$1" "$r" "$ok"
}
has() { [[ " $configs " == *" $1 "* ]]; }
if has single; then
  target "1 node / nbdkit, seq MB/s >= 0.8" "$(col single seq 1)" "$(col nbdkit seq 1)" 0.8
  target "1 node / nbdkit, QD1 IOPS >= 0.8" "$(col single qd1 2)" "$(col nbdkit qd1 2)" 0.8
  target "1 node / nbdkit, QD32 IOPS >= 0.8" "$(col single qd32 2)" "$(col nbdkit qd32 2)" 0.8
  for c in C A; do
    has "$c" || continue
    min=0.6; [ "$c" = A ] && min=0.85
    target "proto $c TLS / 1 node, seq MB/s >= $min" "$(col "$c" seq 1)" "$(col single seq 1)" "$min"
    target "proto $c TLS / 1 node, QD32 IOPS >= $min" "$(col "$c" qd32 2)" "$(col single qd32 2)" "$min"
    target "proto $c TLS / 1 node, QD1 IOPS >= $min" "$(col "$c" qd1 2)" "$(col single qd1 2)" "$min"
  done
  has C && target "proto C TLS / 1 node, QD1 p50 <= 2" "$(col C qd1 3)" "$(col single qd1 3)" -2
fi
for p in A B C; do
  has "$p" && has "$p-plain" || continue
  target "proto $p TLS / plaintext, seq MB/s >= 0.85" "$(col "$p" seq 1)" "$(col "$p-plain" seq 1)" 0.85
  target "proto $p TLS / plaintext, QD32 IOPS >= 0.85" "$(col "$p" qd32 2)" "$(col "$p-plain" qd32 2)" 0.85
done
