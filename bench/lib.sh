# Shared by the bench scripts (sourced, not run): tool checks, the real daemons, fio and the baselines.
# Every daemon runs through ./tandem with its own ports, as deploy/local-pair.sh and ReplicationIT do.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
tandem="$here/tandem"

need_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (Debian: fio iperf3 nbdkit libnbd-bin openssl python3 curl linux-perf)" >&2; exit 1; }
  done
}
need() { # tools... -- and the built application
  need_tools "$@"
  [ -f "${TANDEM_HOME:-$here/target/quarkus-app}/quarkus-run.jar" ] \
    || { echo "bench: ${TANDEM_HOME:-target/quarkus-app} is missing; build it first: ./mvnw package -DskipTests" >&2; exit 1; }
}

dir=${BENCH_DIR:-$(mktemp -d /var/tmp/tandem-bench.XXXXXX)}
mkdir -p "$dir"
pids=()
declare -A node_pid
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$dir"/*.img
}
trap cleanup EXIT

log() { echo "bench: $*" >&2; }
await_nbd() { # uri -- until an NBD server answers there
  for _ in $(seq 100); do nbdinfo --size "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "bench: no NBD server answers at $1" >&2; exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
holds() { python3 -c "print('holds' if $1 else 'MISSES')"; }

machine() {
  echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
}

# --- nodes: NAME gets its own admin, NBD, HTTP and peer ports in $dir/NAME ---
declare -A admin_port nbd_port http_port peer_port
node_init() { # name...
  for n in "$@"; do
    admin_port[$n]=$(free_port) nbd_port[$n]=$(free_port) http_port[$n]=$(free_port) peer_port[$n]=$(free_port)
  done
}
node_env() { # name -> the variables that make it a node of its own
  echo TANDEM_NODE_NAME="$1" TANDEM_CONFIG="$dir/drbd.conf" TANDEM_ADMIN_ADDRESS=127.0.0.1:"${admin_port[$1]}" \
    TANDEM_NBD_PORT="${nbd_port[$1]}" QUARKUS_HTTP_PORT="${http_port[$1]}" TANDEM_TLS_KEY_FILE="$dir/static.key" \
    TANDEM_TLS_MODE="${TLS_MODE:-static-key}" TANDEM_STATE_DIR="$dir/state-$1"
}
on() { local name=$1; shift; env $(node_env "$name") "$tandem" "$@"; }

write_conf() { # protocol "disk options" "net options" nodes...
  local protocol=$1 diskopts=$2 netopts=$3; shift 3
  {
    echo "global { usage-count no; }"
    echo "common { net { protocol $protocol; $netopts } disk { $diskopts } }"
    echo "resource r0 {"
    echo "    device /dev/drbd0;"
    echo "    meta-disk internal;"
    for n in "$@"; do echo "    on $n { disk $dir/$n.img; address 127.0.0.1:${peer_port[$n]}; }"; done
    echo "}"
  } >"$dir/drbd.conf"
  [ -f "$dir/static.key" ] || "$tandem" genkey secret "$dir/static.key" >/dev/null
}

start_node() { # name
  local n=$1
  env $(node_env "$n") "$tandem" daemon >>"$dir/$n.log" 2>&1 &
  node_pid[$n]=$!
  pids+=($!)
  for _ in $(seq 240); do
    curl -sf "http://127.0.0.1:${http_port[$n]}/q/health/live" >/dev/null && return 0
    kill -0 "${node_pid[$n]}" 2>/dev/null || { echo "bench: daemon $n exited; see $dir/$n.log" >&2; exit 1; }
    sleep 0.25
  done
  echo "bench: daemon $n never became live; see $dir/$n.log" >&2; exit 1
}
bring_up() { # MiB names... -- each node: a new allocated disk of MiB, fresh meta data, its daemon, r0 up
  local mib=$1 n; shift
  for n in "$@"; do
    rm -f "$dir/$n.img"; fallocate -l "${mib}M" "$dir/$n.img"
    on "$n" create-md --force r0 >/dev/null 2>&1
    start_node "$n"
    on "$n" up r0 >/dev/null
  done
}
stop_node() { # name
  kill "${node_pid[$1]}" 2>/dev/null || true
  wait "${node_pid[$1]}" 2>/dev/null || true
}

await() { # name pattern [seconds] -- waits until the daemon's /proc/drbd (what `tandem proc` prints) matches
  # curl, not `tandem proc`: a CLI JVM every 0.2 s would take a core of this machine from the daemons.
  local deadline=$((SECONDS + ${3:-600}))
  until curl -sf "http://127.0.0.1:${http_port[$1]}/proc/drbd" 2>/dev/null | grep -Eq "$2"; do
    [ $SECONDS -lt $deadline ] || { echo "bench: $1 never showed /$2/:" >&2; on "$1" proc >&2 || true; exit 1; }
    sleep 0.1
  done
}

# --- fio through the nbd engine: prints "MB/s IOPS p50_us p99_us" of the writes ---
serve_on_rosaria() { # alone|pair -- rosaria (and paimon) are up; makes rosaria the Primary that serves r0
  if [ "$1" = alone ]; then
    on rosaria disconnect r0 >/dev/null
    on rosaria primary --force r0 >/dev/null
  else  # both disks start empty: skip the initial sync
    await rosaria 'cs:Connected' 120
    on rosaria new-current-uuid --clear-bitmap r0 >/dev/null
    await rosaria 'ds:UpToDate/UpToDate' 120
    on rosaria primary r0 >/dev/null
  fi
}
fio_nbd() { # uri seq|qd1|qd32 runtime size
  local args
  case $2 in
    seq) args=(--rw=write --bs=1M --iodepth=8) ;;
    qd1) args=(--rw=randwrite --bs=4k --iodepth=1) ;;
    qd32) args=(--rw=randwrite --bs=4k --iodepth=32) ;;
  esac
  fio --name=bench --ioengine=nbd --uri="$1" "${args[@]}" --size="$4" --time_based --runtime="$3" \
    --output-format=json 2>/dev/null | fio_figures
}
fio_figures() {
  python3 -c '
import json, sys
text = sys.stdin.read()
w = json.loads(text[text.index("{"):])["jobs"][0]["write"]
p = w["clat_ns"].get("percentile", {})
print(round(w["bw_bytes"] / 1e6, 1), round(w["iops"]), round(p.get("50.000000", 0) / 1e3, 1), round(p.get("99.000000", 0) / 1e3, 1))'
}

# --- the denominators ---
disk_seq_mbs() { # MB/s of 1 MiB O_DIRECT sequential writes to a file in $dir
  fio --name=disk --filename="$dir/limits.img" --rw=write --bs=1M --direct=1 --ioengine=psync --size=1G \
    --time_based --runtime="${1:-5}" --output-format=json | fio_figures | cut -d' ' -f1
  rm -f "$dir/limits.img"
}
disk_buffered_new_mbs() { # MB/s of 1 MiB buffered writes filling a new allocated file of $1 MiB once (page cache, no sync)
  fallocate -l "${1}M" "$dir/limits.img"
  fio --name=disk --filename="$dir/limits.img" --rw=write --bs=1M --ioengine=psync --size="${1}M" \
    --output-format=json | fio_figures | cut -d' ' -f1
  rm -f "$dir/limits.img"
}
disk_sync_lat() { # "IOPS p50_us p99_us" of 4 KiB random writes, each followed by fdatasync
  fio --name=disk --filename="$dir/limits.img" --rw=randwrite --bs=4k --fdatasync=1 --ioengine=psync --size=256M \
    --time_based --runtime="${1:-5}" --output-format=json | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
s = j["sync"]["lat_ns"].get("percentile", {})
w = j["write"]["clat_ns"].get("percentile", {})
# the write and the fdatasync after it, as one durable 4 KiB write
print(round(j["write"]["iops"]), round((w.get("50.000000", 0) + s.get("50.000000", 0)) / 1e3, 1),
      round((w.get("99.000000", 0) + s.get("99.000000", 0)) / 1e3, 1))'
  rm -f "$dir/limits.img"
}
tcp_mbs() { # MB/s of one loopback TCP stream
  local port
  port=$(free_port)
  iperf3 -s -1 -p "$port" -B 127.0.0.1 >/dev/null 2>&1 &
  local server=$!
  sleep 0.5
  iperf3 -c 127.0.0.1 -p "$port" -t "${1:-5}" -J | python3 -c '
import json, sys
print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6, 1))'
  wait "$server" 2>/dev/null || true
}
