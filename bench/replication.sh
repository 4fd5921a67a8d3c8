#!/usr/bin/env bash
# The real daemons' write path through NBD, against nbdkit's file plugin serving the same kind of file in
# the same run: one node (StandAlone Primary), then two nodes on 127.0.0.1 with protocols A, B and C, each
# over TLS (static-key, the default) and plaintext. Figures: 1 MiB sequential write MB/s (QD8), 4 KiB
# random write IOPS at QD1 (with p50/p99 latency) and QD32, driven by fio's nbd engine; then the issue's
# targets as ratios. The pair skips its initial sync (new-current-uuid --clear-bitmap, both disks empty).
# Two more baselines in C: qemu-nbd serving one file ("qemu-nbd"), and qemu-nbd serving a quorum of a local
# file and an NBD export of nbdkit's file plugin on 127.0.0.1 ("qemu-quorum": every write goes to both and
# completes when both took it, protocol C's shape without TLS), so the replicated figures can be read
# against what a native server doing the same two writes reaches on the same machine.
# Settings: BENCH_DIR, SIZE_MIB (512), RUNTIME seconds per figure (10), CONFIGS (all of them:
# "qemu-nbd qemu-quorum single A A-plain B B-plain C C-plain").
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need fio nbdkit nbdinfo qemu-nbd python3 curl
size_mib=${SIZE_MIB:-512} runtime=${RUNTIME:-10}
configs=${CONFIGS:-qemu-nbd qemu-quorum single A A-plain B B-plain C C-plain}
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
  bring_up "$size_mib" "${nodes[@]}"
  serve_on_rosaria "$([ "$c" = single ] && echo alone || echo pair)"
  log "$c: $(on rosaria proc | sed -n 's/^ *0: //p')"
  measure "$c" "nbd://127.0.0.1:${nbd_port[rosaria]}/r0"
  for n in "${nodes[@]}"; do stop_node "$n"; rm -f "$dir/$n.img"; done
}

serve_baseline() { # name port command... -- starts a baseline server (log: $dir/NAME.log) and waits until it answers
  local name=$1 port=$2; shift 2
  "$@" >"$dir/$name.log" 2>&1 &
  baseline_pid=$!
  pids+=($baseline_pid)
  await_nbd "nbd://127.0.0.1:$port/"
}
stop_baseline() { kill "$baseline_pid"; wait "$baseline_pid" 2>/dev/null || true; }

run_nbdkit() {
  local port
  port=$(free_port)
  fallocate -l "${size_mib}M" "$dir/nbdkit.img"
  serve_baseline nbdkit "$port" nbdkit -f -p "$port" -i 127.0.0.1 file "$dir/nbdkit.img"
  measure nbdkit "nbd://127.0.0.1:$port/"
  stop_baseline
  rm -f "$dir/nbdkit.img"
}

run_qemu_nbd() {
  local port
  port=$(free_port)
  fallocate -l "${size_mib}M" "$dir/qemu.img"
  serve_baseline qemu-nbd "$port" qemu-nbd -f raw -b 127.0.0.1 -p "$port" -x '' --persistent "$dir/qemu.img"
  measure qemu-nbd "nbd://127.0.0.1:$port/"
  stop_baseline
  rm -f "$dir/qemu.img"
}

run_qemu_quorum() { # the peer: nbdkit's file plugin; the Primary: qemu-nbd writing to a local file and the peer
  local peer_port port peer_pid
  peer_port=$(free_port) port=$(free_port)
  fallocate -l "${size_mib}M" "$dir/quorum-local.img"
  fallocate -l "${size_mib}M" "$dir/quorum-peer.img"
  serve_baseline quorum-peer "$peer_port" nbdkit -f -p "$peer_port" -i 127.0.0.1 file "$dir/quorum-peer.img"
  peer_pid=$baseline_pid
  serve_baseline qemu-quorum "$port" qemu-nbd -b 127.0.0.1 -p "$port" -x '' --persistent --image-opts \
    "driver=quorum,vote-threshold=1,children.0.driver=raw,children.0.file.driver=file,children.0.file.filename=$dir/quorum-local.img,children.1.driver=raw,children.1.file.driver=nbd,children.1.file.server.type=inet,children.1.file.server.host=127.0.0.1,children.1.file.server.port=$peer_port"
  measure qemu-quorum "nbd://127.0.0.1:$port/"
  stop_baseline
  cmp -s "$dir/quorum-local.img" "$dir/quorum-peer.img" || { echo "bench: qemu-quorum left unequal files" >&2; exit 1; }
  baseline_pid=$peer_pid
  stop_baseline
  rm -f "$dir/quorum-local.img" "$dir/quorum-peer.img"
}

run_nbdkit
for c in $configs; do
  case $c in
    qemu-nbd) run_qemu_nbd ;;
    qemu-quorum) run_qemu_quorum ;;
    *) run_tandem "$c" ;;
  esac
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

col() { echo "${fig[$1.$2]:-}" | cut -d' ' -f"$3"; }   # config figure field (1 MB/s, 2 IOPS, 3 p50, 4 p99)
echo
machine
echo "fio $(fio --version) nbd engine, files of ${size_mib} MiB in $dir, ${runtime}s per figure, nbdkit $(nbdkit --version | cut -d' ' -f2)"
printf '| %-15s | %9s | %9s | %9s | %9s | %9s |\n' server "seq MB/s" "QD1 IOPS" "QD1 p50us" "QD1 p99us" "QD32 IOPS"
printf '|-----------------|-----------|-----------|-----------|-----------|-----------|\n'
for c in nbdkit $configs; do
  label=$c
  case $c in single) label="Tandem 1 node" ;; nbdkit) label="nbdkit file" ;; qemu-nbd) label="qemu-nbd file" ;;
    qemu-quorum) label="qemu-nbd quorum" ;;
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
if has qemu-nbd && has qemu-quorum; then
  echo
  echo "what a native server reaches with the same two writes (qemu-nbd quorum of a local file and nbdkit over"
  echo "127.0.0.1, no TLS), against qemu-nbd serving one file: the ceiling this machine puts on protocol C's ratios"
  printf '| %-52s | %8s |\n' reference ratio
  printf '|------------------------------------------------------|----------|\n'
  reference() { if [ -n "$2" ] && [ -n "$3" ]; then printf '| %-52s | %7sx |\n' "$1" "$(python3 -c "print(f'{$2 / $3:.2f}')")"; fi; }
  reference "qemu-nbd quorum / qemu-nbd 1 file, seq MB/s" "$(col qemu-quorum seq 1)" "$(col qemu-nbd seq 1)"
  reference "qemu-nbd quorum / qemu-nbd 1 file, QD32 IOPS" "$(col qemu-quorum qd32 2)" "$(col qemu-nbd qd32 2)"
  reference "qemu-nbd quorum / qemu-nbd 1 file, QD1 IOPS" "$(col qemu-quorum qd1 2)" "$(col qemu-nbd qd1 2)"
  reference "qemu-nbd quorum / qemu-nbd 1 file, QD1 p50" "$(col qemu-quorum qd1 3)" "$(col qemu-nbd qd1 3)"
  if has single; then
    reference "Tandem 1 node / qemu-nbd 1 file, seq MB/s" "$(col single seq 1)" "$(col qemu-nbd seq 1)"
    reference "Tandem 1 node / qemu-nbd 1 file, QD32 IOPS" "$(col single qd32 2)" "$(col qemu-nbd qd32 2)"
    reference "Tandem 1 node / qemu-nbd 1 file, QD1 IOPS" "$(col single qd1 2)" "$(col qemu-nbd qd1 2)"
  fi
  if has C; then
    reference "proto C TLS / qemu-nbd quorum, seq MB/s" "$(col C seq 1)" "$(col qemu-quorum seq 1)"
    reference "proto C TLS / qemu-nbd quorum, QD32 IOPS" "$(col C qd32 2)" "$(col qemu-quorum qd32 2)"
    reference "proto C TLS / qemu-nbd quorum, QD1 IOPS" "$(col C qd1 2)" "$(col qemu-quorum qd1 2)"
  fi
fi
