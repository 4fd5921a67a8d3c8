#!/usr/bin/env bash
# Resident memory of real daemons serving a 64 GiB sparse volume (its bitmap is 2 MiB), per JVM option
# set in JAVA_SETS, so the heap's share is visible. Two scenarios per set:
#   alone: a StandAlone Primary, idle after promotion, then the peak while fio writes through NBD
#         (4 KiB random QD32 over the whole volume, then 1 MiB sequential QD8);
#   pair: a protocol C pair over TLS (the initial sync skipped), the same load on the Primary; the peaks of
#         both daemons (the Secondary holds the inbound packets and the HTTP/2 window).
# The 1 MiB sequential MB/s is printed too: a cap that throttles the daemon shows there, not in RSS.
# Target: RSS <= 256 MiB. "default" runs the launcher's own JVM options (./tandem); the other sets are
# added after them (the last -Xmx wins).
# Settings: BENCH_DIR, VOLUME (64G), RUNTIME seconds per load phase (15),
# JAVA_SETS ("default|-Xmx512m|-Xmx6g -XX:MaxDirectMemorySize=6g"), SCENARIOS ("alone pair"),
# NMT=1: the daemons run with Native Memory Tracking; each node's `jcmd VM.native_memory summary`, GC.heap_info,
# smaps_rollup and `pmap -x` are saved at idle and at the end of the load as $dir/SET_SCEN-NODE.{idle,load}.*,
# and bench/nmt-table.py prints per node what grew (heap, JVM areas, glibc arenas beyond NMT's malloc).
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need fio nbdinfo python3 curl
volume=${VOLUME:-64G} runtime=${RUNTIME:-15}
IFS='|' read -r -a sets <<<"${JAVA_SETS:-default|-Xmx512m|-Xmx6g -XX:MaxDirectMemorySize=6g}"
read -r -a scenarios <<<"${SCENARIOS:-alone pair}"
nmt=${NMT:-0}
[ "$nmt" = 0 ] || need pmap
node_init rosaria paimon
rss_mib() { awk '/^VmRSS/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"; }
sample_rss() { # name -> runs in the background, one figure per half second into $dir/NAME.rss
  local pid=${node_pid[$1]}
  # the launcher execs java, so the daemon's pid is the JVM's
  while kill -0 "$pid" 2>/dev/null; do rss_mib "$pid"; sleep 0.5; done >"$dir/$1.rss" 2>/dev/null
}
peak() { sort -n "$dir/$1.rss" | tail -1; }
jcmd=$("$here/deploy/java-home.sh")/bin/jcmd
snapshot() { # key node phase -> with NMT=1, the daemon's memory maps as the JVM and the kernel see them
  [ "$nmt" = 0 ] && return 0
  local pid=${node_pid[$2]} base="$dir/${1//[^A-Za-z0-9]/_}-$2.$3"
  "$jcmd" "$pid" VM.native_memory summary scale=KB >"$base.nmt"
  "$jcmd" "$pid" GC.heap_info >"$base.heap"
  cat "/proc/$pid/smaps_rollup" >"$base.smaps"
  pmap -x "$pid" >"$base.pmap"
  nmt_files+=("$base")
}
nmt_files=()
declare -A idle peak_primary peak_secondary seq_mbs

load() { # key -> fio on rosaria's export; sets seq_mbs[key]
  local uri="nbd://127.0.0.1:${nbd_port[rosaria]}/r0"
  fio_nbd "$uri" qd32 "$runtime" 63G >/dev/null
  seq_mbs[$1]=$(fio_nbd "$uri" seq "$runtime" 4G | cut -d' ' -f1)
}

scenario() { # set alone|pair
  local s=$1 scen=$2 key="$1/$2" nodes=(rosaria) samplers=() node_opts=$opts
  [ "$nmt" = 0 ] || node_opts="$opts -XX:NativeMemoryTracking=summary"
  [ "$scen" = pair ] && nodes=(rosaria paimon)
  write_conf C "" "" rosaria paimon
  for n in "${nodes[@]}"; do
    rm -f "$dir/$n.img"; truncate -s "$volume" "$dir/$n.img"
    on "$n" create-md --force r0 >/dev/null 2>&1
    for assignment in "${set_env[@]}"; do export "${assignment?}"; done
    TANDEM_JAVA_OPTS="$node_opts" start_node "$n"
    for assignment in "${set_env[@]}"; do unset "${assignment%%=*}"; done
    on "$n" up r0 >/dev/null
  done
  serve_on_rosaria "$scen"
  sleep 5
  idle[$key]=$(rss_mib "${node_pid[rosaria]}")
  for n in "${nodes[@]}"; do snapshot "$key" "$n" idle; done
  for n in "${nodes[@]}"; do sample_rss "$n" & samplers+=($!); done
  load "$key"
  for n in "${nodes[@]}"; do snapshot "$key" "$n" load; done
  kill "${samplers[@]}"; wait "${samplers[@]}" 2>/dev/null || true
  peak_primary[$key]=$(peak rosaria)
  peak_secondary[$key]=-
  [ "$scen" = pair ] && peak_secondary[$key]=$(peak paimon)
  log "$key: idle ${idle[$key]} MiB, peak ${peak_primary[$key]} / ${peak_secondary[$key]} MiB, seq ${seq_mbs[$key]} MB/s"
  for n in "${nodes[@]}"; do
    if grep -q 'OutOfMemoryError' "$dir/$n.log"; then log "$key: $n ran out of memory (see $dir/$n.log)"; fi
    stop_node "$n"; rm -f "$dir/$n.img"
  done
}

for s in "${sets[@]}"; do
  # a set's leading NAME=VALUE words are the daemon's environment (MALLOC_ARENA_MAX=2 -Xmx192m), the rest JVM options
  opts=""; set_env=()
  if [ "$s" != default ]; then
    for word in $s; do
      if [ -z "$opts" ] && [[ $word =~ ^[A-Z_]+= ]]; then set_env+=("$word"); else opts+="${opts:+ }$word"; fi
    done
  fi
  for scen in "${scenarios[@]}"; do scenario "$s" "$scen"; done
done
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)

echo
machine
echo "launcher's JVM options for a daemon: $(sed -n 's/^daemon_opts=(\(.*\))$/\1/p' "$tandem")"
echo "$volume sparse volume; alone = StandAlone Primary, pair = protocol C over TLS on 127.0.0.1; load: fio nbd" \
  "4 KiB randwrite QD32 ${runtime}s then 1 MiB write QD8 ${runtime}s; load average after: $loadavg"
printf '| %-36s | %-5s | %9s | %12s | %14s | %8s | %-24s |\n' "JVM options" scen "idle MiB" "peak Primary" \
  "peak Secondary" "seq MB/s" "<= 256 MiB?"
printf '|--------------------------------------|-------|-----------|--------------|----------------|----------|--------------------------|\n'
for s in "${sets[@]}"; do
  for scen in "${scenarios[@]}"; do
    k="$s/$scen" worst=${peak_primary[$s/$scen]}
    [ "${peak_secondary[$k]}" = - ] || worst=$(python3 -c "print(max(${peak_primary[$k]}, ${peak_secondary[$k]}))")
    printf '| %-36s | %-5s | %9s | %12s | %14s | %8s | %-24s |\n' "$s" "$scen" "${idle[$k]}" \
      "${peak_primary[$k]}" "${peak_secondary[$k]}" "${seq_mbs[$k]}" \
      "$(holds "${idle[$k]} <= 256") idle, $(holds "$worst <= 256") load"
  done
done
if [ "$nmt" != 0 ]; then
  printf '%s\n' "${nmt_files[@]}" | sed 's/\.\(idle\|load\)$//' | sort -u | xargs python3 "$here/bench/nmt-table.py"
fi
