#!/usr/bin/env bash
# Resync between two real daemons on 127.0.0.1, beside min(disk sequential write, loopback TCP) measured
# in the same run: a full sync unthrottled (c-plan-ahead 0; resync-rate 4G), then again on the same (warm)
# daemons with invalidate, and throttled (c-plan-ahead 0;
# resync-rate 20M), the unthrottled one again with max-buffers 131072, a bitmap resync after DIRTY_MIB of writes while the peer was disconnected, and a full
# sync with csums-alg md5 of identical data (max-buffers 131072) (fresh meta data on both nodes forces the full sync; the data
# are the ones the first sync made identical). Rates: wall clock from the promotion/connect to
# UpToDate/UpToDate, and the daemon's own "Resync done (... K/sec)" line.
# Beside the ceiling, the same copy done natively in the same run: nbdcopy from nbdkit serving rosaria's
# file to nbdkit serving paimon's empty one over 127.0.0.1 (C, no TLS, the same reads and writes).
# Settings: BENCH_DIR, SIZE_MIB (1024), THROTTLED_MIB (256), DIRTY_MIB (256).
# AB_HOMES="OLD NEW" (two target/quarkus-app directories) with ROUNDS (2): only the unthrottled full sync,
# cold and warm, for each build in turn, to compare two builds in the same minutes. AB_JAVA_OPTS="OPTS|OPTS"
# (optional, one entry per AB_HOMES entry, '|' between them): JVM options for that build's daemons, after
# TANDEM_JAVA_OPTS, so that one build can also be compared with different launcher options.
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need fio iperf3 nbdinfo nbdkit nbdcopy python3 curl
size_mib=${SIZE_MIB:-1024} throttled_mib=${THROTTLED_MIB:-256} dirty_mib=${DIRTY_MIB:-256}
node_init rosaria paimon
now() { date +%s.%N; }
declare -A secs kib_s moved log_secs cpu_gib

disks() { # MiB: rosaria gets random data, paimon an empty (allocated) file
  rm -f "$dir/rosaria.img" "$dir/paimon.img"
  dd if=/dev/urandom of="$dir/rosaria.img" bs=1M count="$1" status=none
  fallocate -l "${1}M" "$dir/paimon.img"
}
pair_up() { # "disk options" "net options" ["JVM options"]
  write_conf C "$1" "$2" rosaria paimon
  for n in rosaria paimon; do
    on "$n" create-md --force r0 >/dev/null 2>&1
    TANDEM_JAVA_OPTS="${TANDEM_JAVA_OPTS:-} ${3:-}" start_node "$n"
  done
  for n in rosaria paimon; do on "$n" up r0 >/dev/null; done
  await rosaria 'cs:Connected' 120
}
pair_down() { for n in rosaria paimon; do stop_node "$n"; done; }
last_done() { # the SyncTarget's last "Resync done" rate, K/sec
  grep -ho 'Resync done ([0-9]* KB, average [0-9]* K/sec)' "$dir/paimon.log" | tail -1 | grep -o 'average [0-9]*' | cut -d' ' -f2
}
began_to_done() { # seconds from the SyncTarget's last "Began resync" to its last "Resync done", by the log's clock
  python3 - "$dir/paimon.log" <<'PY'
import re, sys
from datetime import datetime
began = done = None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})", line)
    if m and "Began resync as SyncTarget" in line:
        began = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
    elif m and "Resync done (" in line:
        done = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
print(round((done - began).total_seconds(), 2) if began and done and done >= began else "")
PY
}
cpu_snap() { python3 "$here/bench/thread-cpu.py" snap rosaria="${node_pid[rosaria]}" paimon="${node_pid[paimon]}"; }
timed_sync() { # name MiB, then the command that starts the sync
  local name=$1 mib=$2 t0; shift 2
  cpu_snap >"$dir/cpu-$name.before"
  t0=$(now)
  "$@" >/dev/null
  await rosaria 'ds:UpToDate/UpToDate' 900
  secs[$name]=$(python3 -c "print(round($(now) - $t0, 2))")
  cpu_snap >"$dir/cpu-$name.after"
  sleep 0.5
  kib_s[$name]=$(last_done)
  log_secs[$name]=$(began_to_done)
  # both daemons' CPU from the command to UpToDate/UpToDate, per GiB moved: steadier than MB/s on a shared machine
  cpu_gib[$name]=$(python3 "$here/bench/thread-cpu.py" total "$dir/cpu-$name.before" "$dir/cpu-$name.after" "$(python3 -c "print($mib / 1024)")")
  python3 "$here/bench/thread-cpu.py" diff "$dir/cpu-$name.before" "$dir/cpu-$name.after" "$(python3 -c "print($mib / 1024)")" \
    >"$dir/cpu-$name.${cpu_tag:-txt}"
  log "$name: ${secs[$name]} s (log: ${log_secs[$name]} s from Began resync to Resync done), daemon says ${kib_s[$name]} K/sec," \
    "${cpu_gib[$name]} s CPU/GiB (threads: $dir/cpu-$name.${cpu_tag:-txt})"
}

invalidate_paimon() { # returns once rosaria is SyncSource, so that the await in timed_sync sees this sync end
  on paimon invalidate r0
  await rosaria 'cs:SyncSource' 60
}

if [ -n "${AB_HOMES:-}" ]; then
  # Builds back to back in one run (AB_HOMES="<copy of the old target/quarkus-app> <new one>"): the
  # unthrottled full sync, cold and then warm, for each build in turn, ROUNDS times.
  read -r -a homes <<<"$AB_HOMES"
  IFS='|' read -r -a ab_opts <<<"${AB_JAVA_OPTS:-}"
  results=()
  for round in $(seq "${ROUNDS:-2}"); do
    for i in "${!homes[@]}"; do
      h=${homes[$i]} opts=${ab_opts[$i]:-}
      log "round $round: $h $opts"
      export TANDEM_HOME=$h
      disks "$size_mib"
      pair_up "c-plan-ahead 0; resync-rate 4G;" "" "$opts"
      cpu_tag="$round-$i.txt"
      timed_sync full "$size_mib" on rosaria primary --overwrite-data-of-peer r0
      timed_sync full_warm "$size_mib" invalidate_paimon
      pair_down
      results+=("$(printf '| %5s | %-44s | %9s | %12s | %8s | %9s | %12s | %8s |' "$round" "$h${opts:+ $opts}" \
        "$(python3 -c "print(round($size_mib * 1.048576 / ${secs[full]}, 1))")" "${kib_s[full]}" "${cpu_gib[full]}" \
        "$(python3 -c "print(round($size_mib * 1.048576 / ${secs[full_warm]}, 1))")" "${kib_s[full_warm]}" "${cpu_gib[full_warm]}")")
    done
  done
  echo
  machine
  echo "full sync of $size_mib MiB, c-plan-ahead 0, resync-rate 4G, default max-buffers; load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "CPU: both daemons' user+system seconds per GiB, from the command to UpToDate/UpToDate (per thread: $dir/cpu-*.txt)"
  printf '| %5s | %-44s | %9s | %12s | %8s | %9s | %12s | %8s |\n' round build "cold MB/s" "cold K/sec" "cold CPU" "warm MB/s" "warm K/sec" "warm CPU"
  printf '|-------|----------------------------------------------|-----------|--------------|----------|-----------|--------------|----------|\n'
  printf '%s\n' "${results[@]}"
  exit 0
fi

log "limits"
disk=$(disk_seq_mbs 5)
tcp=$(tcp_mbs 5)
ceiling=$(python3 -c "print(min($disk, $tcp))")
# What the SyncTarget does to its file (buffered writes into pages not cached yet), outside the target's ratio
page_cache=$(disk_buffered_new_mbs "$size_mib")

log "the same copy natively: nbdcopy between two nbdkit file servers"
disks "$size_mib"
native_copy() { # MB/s of nbdcopy from nbdkit serving rosaria.img to nbdkit serving paimon.img
  local from to from_pid to_pid t0 rate
  from=$(free_port) to=$(free_port)
  nbdkit -f -p "$from" -i 127.0.0.1 --readonly file "$dir/rosaria.img" >"$dir/native-from.log" 2>&1 &
  from_pid=$!
  nbdkit -f -p "$to" -i 127.0.0.1 file "$dir/paimon.img" >"$dir/native-to.log" 2>&1 &
  to_pid=$!
  pids+=($from_pid $to_pid)
  await_nbd "nbd://127.0.0.1:$from/"
  await_nbd "nbd://127.0.0.1:$to/"
  t0=$(now)
  nbdcopy "nbd://127.0.0.1:$from/" "nbd://127.0.0.1:$to/"
  rate=$(python3 -c "print(round($size_mib * 1.048576 / ($(now) - $t0), 1))")
  kill "$from_pid" "$to_pid"; wait "$from_pid" "$to_pid" 2>/dev/null || true
  cmp -s "$dir/rosaria.img" "$dir/paimon.img" || { echo "bench: nbdcopy left unequal files" >&2; exit 1; }
  echo "$rate"
}
native=$(native_copy)

log "full sync of $size_mib MiB, unthrottled"
disks "$size_mib"
pair_up "c-plan-ahead 0; resync-rate 4G;" ""
timed_sync full "$size_mib" on rosaria primary --overwrite-data-of-peer r0
moved[full]="$size_mib MiB"
# The same again on the daemons that just did it: the first sync starts a second after the JVMs did,
# while the JIT still compiles their start-up, and writes into pages not cached yet; this one has warm
# JVMs and writes into the pages the first one cached.
log "full sync of $size_mib MiB again (invalidate), warm daemons"
timed_sync full_warm "$size_mib" invalidate_paimon
moved[full_warm]="$size_mib MiB"
pair_down

log "full sync of $size_mib MiB, unthrottled, max-buffers 131072"
# max-buffers/2 pages are in flight at most: 4 MiB with the default 2048, 256 MiB with 131072, which the
# launcher's default heap has no room for (README "Memory"): attach would refuse it.
pair_up "c-plan-ahead 0; resync-rate 4G;" "max-buffers 131072;" -Xmx448m
timed_sync full_mb "$size_mib" on rosaria primary --overwrite-data-of-peer r0
moved[full_mb]="$size_mib MiB"

log "bitmap resync after $dirty_mib MiB written while paimon was disconnected"
on paimon disconnect r0 >/dev/null
await rosaria 'cs:(WFConnection|StandAlone)' 60
fio --name=dirty --ioengine=nbd --uri="nbd://127.0.0.1:${nbd_port[rosaria]}/r0" --rw=write --bs=1M --iodepth=8 \
  --size="${dirty_mib}M" --offset=64M --output-format=json >/dev/null 2>&1
oos=$(on rosaria proc | grep -o 'oos:[0-9]*' | cut -d: -f2)
# fractional: under 1024 KiB out of sync a whole MiB figure is 0, and CPU per GiB would divide by it
oos_mib=$(python3 -c "print($oos / 1024)")
timed_sync bitmap "$oos_mib" on paimon connect r0
moved[bitmap]="$oos_mib MiB (oos:$oos)"
pair_down

log "full sync of the same (identical) data with csums-alg md5"
pair_up "c-plan-ahead 0; resync-rate 4G;" "csums-alg md5; max-buffers 131072;" -Xmx448m
timed_sync csums "$size_mib" on rosaria primary --overwrite-data-of-peer r0
# the SyncSource compares the digests and counts
moved[csums]=$(grep -o 'eliminated: [0-9]*K; transferred [0-9]*K' "$dir/rosaria.log" | tail -1)
pair_down

log "full sync of $throttled_mib MiB throttled to resync-rate 20M"
disks "$throttled_mib"
pair_up "c-plan-ahead 0; resync-rate 20M;" ""
timed_sync throttled "$throttled_mib" on rosaria primary --overwrite-data-of-peer r0
moved[throttled]="$throttled_mib MiB"
pair_down
load=$(cut -d' ' -f1-3 /proc/loadavg)

wall_full=$(python3 -c "print(round($size_mib * 1.048576 / ${secs[full_mb]}, 1))")
echo
machine
echo "two daemons on 127.0.0.1, protocol C, TLS static-key, files in $dir; load average after the runs: $load"
echo "denominators, same run: disk 1 MiB O_DIRECT write $disk MB/s, loopback TCP $tcp MB/s -> ceiling $ceiling MB/s"
echo "for comparison, same run: 1 MiB buffered writes filling a new ${size_mib} MiB file once (fio, page cache): $page_cache MB/s"
echo "the same full copy natively, same run: nbdcopy between two nbdkit file servers on 127.0.0.1 (no TLS): $native MB/s"
printf '| %-44s | %-40s | %8s | %8s | %9s | %12s | %9s |\n' resync moved "wall s" "log s" "wall MB/s" "daemon K/sec" "CPU s/GiB"
printf '|----------------------------------------------|------------------------------------------|----------|----------|-----------|--------------|-----------|\n'
row() { # name label MiB-for-wall-rate
  local w=""
  [ -n "$3" ] && w=$(python3 -c "print(round($3 * 1.048576 / ${secs[$1]}, 1))")
  printf '| %-44s | %-40s | %8s | %8s | %9s | %12s | %9s |\n' "$2" "${moved[$1]}" "${secs[$1]}" "${log_secs[$1]}" "$w" "${kib_s[$1]:-}" "${cpu_gib[$1]}"
}
row full "full, c-plan-ahead 0, resync-rate 4G" "$size_mib"
row full_warm "full again (invalidate), warm daemons" "$size_mib"
row full_mb "full, same, max-buffers 131072" "$size_mib"
row throttled "full, c-plan-ahead 0, resync-rate 20M" "$throttled_mib"
row bitmap "bitmap, after $dirty_mib MiB dirty (wall: + connect)" "$oos_mib"
row csums "full, csums-alg md5, identical data, max-buf 128k" "$size_mib"
echo
printf '| %-58s | %10s | %7s |\n' target figure verdict
printf '|------------------------------------------------------------|------------|---------|\n'
printf '| %-58s | %9sx | %7s |\n' "unthrottled, max-buffers 131072 (wall) / min(disk, TCP) >= 0.7" \
  "$(python3 -c "print(f'{$wall_full / $ceiling:.2f}')")" "$(holds "$wall_full / $ceiling >= 0.7")"
printf '| %-58s | %9sx | %7s |\n' "(reference) nbdcopy natively / min(disk, TCP)" \
  "$(python3 -c "print(f'{$native / $ceiling:.2f}')")" ""
printf '| %-58s | %9sx | %7s |\n' "(reference) unthrottled, max-buffers 131072 / nbdcopy" \
  "$(python3 -c "print(f'{$wall_full / $native:.2f}')")" ""
for f in full full_warm full_mb; do
  [ -n "${kib_s[$f]:-}" ] && printf '| %-58s | %9sx | %7s |\n' "$f (daemon K/sec) / min(disk, TCP) >= 0.7" \
    "$(python3 -c "print(f'{${kib_s[$f]} * 1.024e-3 / $ceiling:.2f}')")" "$(holds "${kib_s[$f]} * 1.024e-3 / $ceiling >= 0.7")"
done
[ -n "${kib_s[throttled]:-}" ] && printf '| %-58s | %9sx | %7s |\n' "throttled (daemon K/sec) / 20480 K/sec within 10%" \
  "$(python3 -c "print(f'{${kib_s[throttled]} / 20480:.2f}')")" "$(holds "abs(${kib_s[throttled]} / 20480 - 1) <= 0.1")"
printf '| %-58s | %9sx | %7s |\n' "throttled (log, Began to done) / 20 MiB/s within 10%" \
  "$(python3 -c "print(f'{$throttled_mib / ${log_secs[throttled]} / 20:.2f}')")" "$(holds "abs($throttled_mib / ${log_secs[throttled]} / 20 - 1) <= 0.1")"
