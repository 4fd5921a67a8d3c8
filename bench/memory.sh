#!/usr/bin/env bash
# Resident memory of one real daemon serving a 64 GiB sparse volume (StandAlone Primary; its bitmap is
# 2 MiB): idle after promotion, and the peak while fio writes through NBD (4 KiB random QD32 over the whole
# volume, then 1 MiB sequential QD8). Target: RSS <= 256 MiB. Runs once per JVM option set in JAVA_SETS
# (default: the launcher's defaults, then a capped heap), so the heap's share is visible.
# Settings: BENCH_DIR, VOLUME (64G), RUNTIME seconds per load phase (15), JAVA_SETS ("default|-Xmx128m").
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need fio nbdinfo python3 curl
volume=${VOLUME:-64G} runtime=${RUNTIME:-15}
IFS='|' read -r -a sets <<<"${JAVA_SETS:-default|-Xmx128m}"
node_init rosaria paimon
rss_mib() { awk '/^VmRSS/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"; }
declare -A idle peak

for s in "${sets[@]}"; do
  opts=""; [ "$s" = default ] || opts=$s
  rm -f "$dir/rosaria.img"; truncate -s "$volume" "$dir/rosaria.img"
  write_conf C "" "" rosaria paimon   # paimon never starts: rosaria is alone
  on rosaria create-md --force r0 >/dev/null 2>&1
  TANDEM_JAVA_OPTS="$opts" start_node rosaria
  pid=${node_pid[rosaria]}
  # the launcher execs java, so the daemon's pid is the JVM's
  on rosaria up r0 >/dev/null
  on rosaria disconnect r0 >/dev/null
  on rosaria primary --force r0 >/dev/null
  sleep 5
  idle[$s]=$(rss_mib "$pid")
  log "$s: idle RSS ${idle[$s]} MiB"
  uri="nbd://127.0.0.1:${nbd_port[rosaria]}/r0"
  ( while kill -0 "$pid" 2>/dev/null; do rss_mib "$pid"; sleep 0.5; done ) >"$dir/rss.txt" 2>/dev/null &
  sampler=$!
  fio --name=load --ioengine=nbd --uri="$uri" --rw=randwrite --bs=4k --iodepth=32 --size=63G \
    --time_based --runtime="$runtime" --output-format=terse >/dev/null 2>&1
  fio --name=load --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=8 --size=4G \
    --time_based --runtime="$runtime" --output-format=terse >/dev/null 2>&1
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  peak[$s]=$(sort -n "$dir/rss.txt" | tail -1)
  log "$s: peak RSS under load ${peak[$s]} MiB"
  stop_node rosaria
  rm -f "$dir/rosaria.img"
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

echo
machine
echo "one daemon, $volume sparse volume, StandAlone Primary; load: fio nbd 4 KiB randwrite QD32 ${runtime}s then 1 MiB write QD8 ${runtime}s; load average after: $load"
printf '| %-26s | %14s | %14s | %-18s |\n' "JVM options" "idle RSS MiB" "peak RSS MiB" "<= 256 MiB?"
printf '|----------------------------|----------------|----------------|--------------------|\n'
for s in "${sets[@]}"; do
  printf '| %-26s | %14s | %14s | %-18s |\n' "$s" "${idle[$s]}" "${peak[$s]}" \
    "$(holds "${idle[$s]} <= 256") idle, $(holds "${peak[$s]} <= 256") load"
done
