#!/usr/bin/env bash
# The CPU floor of replication and resync on this machine: CPU-seconds per GiB of each piece of work any
# implementation has to do, each done by a native tool, then the most MB/s the two cores allow for the whole
# pipeline (2 cores x 1 s / CPU-s per GiB), beside the issue's targets measured in the same run.
# Pieces (SIZE_MIB each): the NBD leg (fio's nbd engine, 1 MiB writes at QD8 as replication.sh, into nbdkit's
# null plugin), page-cache writes (into cached pages, into new pages, O_DIRECT) and reads (fio psync, 1 MiB),
# the link (iperf3 over loopback TCP; nbdcopy from nbdkit's null plugin to null:, plaintext and TLS 1.3 with a
# PSK). CPU: perf stat's task-clock of each process and all its threads and children, so kernel work done in
# the process's context (copies, TCP, softirqs run on its way out of the kernel) counts; beside it the
# machine's busy time from /proc/stat (all CPUs: user, nice, system, irq, softirq; the background rate
# measured first is subtracted), which also holds kernel threads (ksoftirqd, kworkers). Each piece runs a
# second time with 1 MiB, and that is subtracted: process starts, connections and handshakes are not per byte.
# Also: one node (nbdkit's file plugin, and the built daemon as a StandAlone Primary if target/quarkus-app
# exists), the resync denominators as limits.sh, the p50 of 4 KiB QD1 writes through one more NBD hop
# (nbdkit's nbd plugin in front of nbdkit's file plugin, plaintext and TLS), and nbdcopy between two nbdkit
# file servers (the resync's shape done natively) with its CPU.
# Settings: BENCH_DIR, SIZE_MIB (1024), RUNTIME seconds per fio figure (10).
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need_tools fio iperf3 nbdkit nbdcopy nbdinfo perf openssl python3 curl
size_mib=${SIZE_MIB:-1024} runtime=${RUNTIME:-10}
size=${size_mib}M
hz=$(getconf CLK_TCK)
declare -A cpu wall sys   # piece -> task-clock CPU-s, client wall s, machine busy CPU-s
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }

# TLS: nbdkit and libnbd use GnuTLS with its NORMAL priority, which picks CHACHA20-POLY1305 here; without it
# the PSK (bound to SHA-256) gets TLS_AES_128_GCM_SHA256. Tandem's links use TLS_AES_256_GCM_SHA384: the
# difference is corrected below with openssl speed.
printf '[overrides]\ntls-disabled-cipher = CHACHA20-POLY1305\n' >"$dir/gnutls.conf"
export GNUTLS_SYSTEM_PRIORITY_FILE=$dir/gnutls.conf
echo "alice:$(openssl rand -hex 32)" >"$dir/tls.psk"
chmod 600 "$dir/tls.psk"
tls_uri() { echo "nbds://alice@127.0.0.1:$1/?tls-psk-file=$dir/tls.psk"; }

busy_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
log "background: the machine's busy time over 3 s with nothing of ours running"
b0=$(busy_jiffies); sleep 3; background=$(calc "($(busy_jiffies) - $b0) / $hz / 3")   # CPU-s per s

# --- counting: every process of a piece runs under perf stat; its task-clock goes to $dir/PIECE.NAME.cpu ---
counted() { # piece.name command...
  local name=$1; shift
  perf stat -x, -e task-clock -o "$dir/$name.cpu" -- "$@"
}
serve() { # piece.name port nbdkit-arguments... -- an nbdkit server, counted, until unserve
  local name=$1 port=$2 uri; shift 2
  # --exit-with-parent: the script's cleanup ends perf stat, and with it the server
  counted "$name" nbdkit -f --exit-with-parent -p "$port" -i 127.0.0.1 -P "$dir/$name.pid" "$@" >"$dir/$name.log" 2>&1 &
  server_pids+=($!)
  pids+=($!)
  uri="nbd://127.0.0.1:$port/"
  [[ " $* " == *" --tls=require "* ]] && uri=$(tls_uri "$port")
  await_nbd "$uri"
}
unserve() { # stops the servers serve started and waits for perf stat to write their counts
  local p
  for p in "$dir"/*.pid; do kill "$(cat "$p")"; rm -f "$p"; done
  for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  server_pids=()
}
server_pids=()
client() { # piece command... -- the piece's client, counted, timed (wall) and with the machine's busy time
  local piece=$1 t0 b0; shift
  b0=$(busy_jiffies) t0=$(now)
  counted "$piece.client" "$@" >"$dir/$piece.client.out" 2>&1 \
    || { echo "bench: $piece failed: $*" >&2; cat "$dir/$piece.client.out" >&2; exit 1; }
  wall[$piece]=$(calc "round($(now) - $t0, 3)")
  sys[$piece]=$(calc "round(($(busy_jiffies) - $b0) / $hz - $background * ${wall[$piece]}, 3)")
}
total() { # piece -- sums the task-clock of its processes once they have ended
  cpu[$1]=$(awk -F, '$3 == "task-clock" {ms += $1} END {printf "%.3f", ms / 1000}' "$dir/$1".*.cpu)
  log "$1: ${cpu[$1]} CPU-s (task-clock), ${sys[$1]} CPU-s (machine), ${wall[$1]} s"
}

# --- the pieces: each runs twice, with 1 MiB (the tare: process starts, connections, TLS handshakes) and with
# SIZE_MIB; the difference is the work per byte. Each function takes the piece's name and MiB. ---
piece() { # name function
  "$2" "$1-tare" 1
  total "$1-tare"
  "$2" "$1" "$size_mib"
  total "$1"
  cpu[$1]=$(calc "round((${cpu[$1]} - ${cpu[$1-tare]}) * $size_mib / ($size_mib - 1), 3)")
  sys[$1]=$(calc "round((${sys[$1]} - ${sys[$1-tare]}) * $size_mib / ($size_mib - 1), 3)")
  wall[$1]=$(calc "round((${wall[$1]} - ${wall[$1-tare]}) * $size_mib / ($size_mib - 1), 3)")
  log "$1 less its tare: ${cpu[$1]} CPU-s (task-clock), ${sys[$1]} CPU-s (machine), ${wall[$1]} s"
}

nbd_leg() { # name MiB -- fio's nbd engine as replication.sh's seq test, into nbdkit's null plugin
  local port
  port=$(free_port)
  serve "$1.server" "$port" null "${2}M"
  client "$1" fio --name=floor --ioengine=nbd --uri="nbd://127.0.0.1:$port/" --rw=write --bs=1M --iodepth=8 --size="${2}M"
  unserve
}
# 1 MiB psync I/O; invalidate=0: fio would drop the file's cached pages before each job otherwise
file_io() { # name MiB fio-arguments...
  local name=$1 mib=$2; shift 2
  client "$name" fio --name=floor --filename="$dir/floor.img" --bs=1M --ioengine=psync --size="${mib}M" --invalidate=0 "$@"
}
new_file() { rm -f "$dir/floor.img"; fallocate -l "${1}M" "$dir/floor.img"; }
cached_file() { # MiB -- every page of the file cached and clean
  new_file "$1"
  fio --name=floor --filename="$dir/floor.img" --bs=1M --ioengine=psync --size="${1}M" --rw=write --end_fsync=1 >/dev/null
}
write_new() { new_file "$2"; file_io "$1" "$2" --rw=write; }   # as a cold SyncTarget fills its file
# The same into the memory write_new's file held (freed by new_file's rm): a VM may back the guest's free memory
# lazily, so pages the guest has not touched for a while cost more to fill than pages it just freed.
write_new_reused() { write_new "$@"; }
write_cached() { cached_file "$2"; file_io "$1" "$2" --rw=write; }   # as replication.sh rewrites its file
write_cached_sync() { cached_file "$2"; file_io "$1" "$2" --rw=write --end_fsync=1; }   # its writeback too, by fio's fsync
read_cached() { cached_file "$2"; file_io "$1" "$2" --rw=read; }   # the SyncSource's reads
write_direct() { new_file "$2"; file_io "$1" "$2" --rw=write --direct=1; }

tcp_link() { # name MiB -- iperf3, both ends
  local port server
  port=$(free_port)
  counted "$1.server" timeout 120 iperf3 -s -1 -p "$port" -B 127.0.0.1 >/dev/null 2>&1 &   # ends with one test
  server=$!
  pids+=($server)
  sleep 0.5
  client "$1" iperf3 -c 127.0.0.1 -p "$port" -n "${2}M"
  wait "$server" || true
}
copy_to_null() { # name MiB [nbdkit TLS arguments...] -- nbdkit's null plugin read by nbdcopy into null:
  local name=$1 mib=$2 port uri; shift 2
  port=$(free_port) uri="nbd://127.0.0.1:$port/"
  [ $# -eq 0 ] || uri=$(tls_uri "$port")
  serve "$name.server" "$port" "$@" null "${mib}M"
  client "$name" nbdcopy --no-extents -S 0 "$uri" null:   # every byte read, none skipped as a hole or as zeroes
  unserve
}
link_plain() { copy_to_null "$1" "$2"; }
link_tls() { copy_to_null "$1" "$2" --tls=require --tls-psk="$dir/tls.psk" -v -D nbdkit.tls.session=1; }

log "1. NBD leg: fio nbd engine, 1 MiB writes QD8, into nbdkit null"
piece nbd nbd_leg
log "2. page-cache writes and O_DIRECT write; 3. page-cache read"
for p in write_new write_new_reused write_cached write_cached_sync read_cached write_direct; do piece $p $p; done
rm -f "$dir/floor.img"
log "4. link: iperf3, and nbdcopy from nbdkit null to null: plaintext and TLS"
piece tcp tcp_link
piece link_plain link_plain
piece link_tls link_tls
cipher=$(sed -n 's/.*TLS session: (\(.*\))--(\(.*\))$/\1 \2/p' "$dir/link_tls.server.log" | sort -u | paste -sd,)   # "TLS1.3 AES-128-GCM"
# AES-256 instead of AES-128 costs more rounds; both ends, per GiB, from openssl speed on one core
aes_mbs() { openssl speed -seconds 2 -bytes 16384 -evp "$1" 2>/dev/null | awk -v c="$1" 'tolower($1) == c {v = $NF; sub(/k$/, "", v); print v / 1000}'; }
aes128=$(aes_mbs aes-128-gcm) aes256=$(aes_mbs aes-256-gcm)
aes_extra=$(calc "round(2 * 1073.741824 * (1 / $aes256 - 1 / $aes128), 3)")

# --- one node, as replication.sh measures it ---
log "one node: nbdkit file (MB/s as replication.sh, and CPU of 1 GiB)"
fallocate -l "$((size_mib + 64))M" "$dir/one.img"
port=$(free_port)
serve one.server "$port" file "$dir/one.img"
fio_nbd "nbd://127.0.0.1:$port/" seq 3 "$size" >/dev/null
read -r nbdkit_seq _ _ _ < <(fio_nbd "nbd://127.0.0.1:$port/" seq "$runtime" "$size")
read -r _ _ lat_direct _ < <(fio_nbd "nbd://127.0.0.1:$port/" qd1 "$runtime" "$size")
unserve
rm -f "$dir"/one.*.cpu  # that server's count holds the time-based runs: counted again from a new server
one_native() { # name MiB -- the NBD leg into nbdkit's file plugin, on the file the runs above cached
  local port
  port=$(free_port)
  serve "$1.server" "$port" file "$dir/one.img"
  client "$1" fio --name=floor --ioengine=nbd --uri="nbd://127.0.0.1:$port/" --rw=write --bs=1M --iodepth=8 --size="${2}M"
  unserve
}
piece one one_native

log "latency: 4 KiB QD1 through nbdkit nbd in front of nbdkit file, plaintext and TLS"
hop() { # server-arguments... -- p50 us through a proxy to a server with those arguments
  local back front uri_args=()
  back=$(free_port) front=$(free_port)
  serve hop.back "$back" "$@" file "$dir/one.img"
  uri_args=(hostname=127.0.0.1 port="$back")
  [ $# -gt 0 ] && uri_args+=(tls=require tls-psk="$dir/tls.psk" tls-username=alice)
  serve hop.front "$front" nbd "${uri_args[@]}"
  fio_nbd "nbd://127.0.0.1:$front/" qd1 3 "$size" >/dev/null
  fio_nbd "nbd://127.0.0.1:$front/" qd1 "$runtime" "$size" | cut -d' ' -f3
  unserve
  rm -f "$dir"/hop.*.cpu
}
lat_hop=$(hop)
lat_hop_tls=$(hop --tls=require --tls-psk="$dir/tls.psk")
rm -f "$dir/one.img"

tandem_seq="" tandem_p50=""
if [ -f "${TANDEM_HOME:-$here/target/quarkus-app}/quarkus-run.jar" ]; then
  log "one node: the daemon as a StandAlone Primary (replication.sh's single)"
  node_init rosaria paimon
  write_conf C "" "" rosaria paimon   # paimon never starts: rosaria runs StandAlone
  bring_up "$((size_mib + 64))" rosaria
  serve_on_rosaria alone
  uri="nbd://127.0.0.1:${nbd_port[rosaria]}/r0"
  fio_nbd "$uri" seq 3 "$size" >/dev/null
  fio_nbd "$uri" qd1 3 "$size" >/dev/null
  read -r tandem_seq _ _ _ < <(fio_nbd "$uri" seq "$runtime" "$size")
  read -r _ _ tandem_p50 _ < <(fio_nbd "$uri" qd1 "$runtime" "$size")
  # the daemon's CPU for 1 GiB of the same writes: perf stat on its process, beside fio's count
  proc_ticks() { awk '{print $14 + $15}' "/proc/${node_pid[rosaria]}/stat"; }   # utime + stime, all its threads
  one_tandem() { # name MiB -- the NBD leg into the daemon; perf stat counts the daemon over the run
    local perf_pid ticks
    perf stat -x, -e task-clock -o "$dir/$1.daemon.cpu" -p "${node_pid[rosaria]}" &
    perf_pid=$!
    sleep 0.5
    ticks=$(proc_ticks)
    client "$1" fio --name=floor --ioengine=nbd --uri="$uri" --rw=write --bs=1M --iodepth=8 --size="${2}M"
    ticks=$(($(proc_ticks) - ticks))
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    log "$1: the daemon's own count (/proc stat utime + stime): $(calc "$ticks / $hz") CPU-s"
  }
  piece tandem one_tandem
  stop_node rosaria
  rm -f "$dir/rosaria.img"
fi

# --- the resync's shape natively: nbdcopy between two nbdkit file servers ---
log "nbdcopy between two nbdkit file servers, plaintext and TLS"
dd if=/dev/urandom of="$dir/from.img" bs=1M count="$size_mib" status=none   # from-MiB.img: copies, cached
native_copy() { # name MiB [nbdkit TLS arguments...] -- the first MiB of from.img to a new file
  local name=$1 mib=$2 from to; shift 2
  rm -f "$dir/to.img"; fallocate -l "${mib}M" "$dir/to.img"
  from=$(free_port) to=$(free_port)
  dd if="$dir/from.img" of="$dir/from-$mib.img" bs=1M count="$mib" status=none
  serve "$name.from" "$from" "$@" --readonly file "$dir/from-$mib.img"
  serve "$name.to" "$to" "$@" file "$dir/to.img"
  if [ $# -gt 0 ]; then client "$name" nbdcopy "$(tls_uri "$from")" "$(tls_uri "$to")"
  else client "$name" nbdcopy "nbd://127.0.0.1:$from/" "nbd://127.0.0.1:$to/"; fi
  unserve
  cmp -s "$dir/from-$mib.img" "$dir/to.img" || { echo "bench: nbdcopy left unequal files" >&2; exit 1; }
  rm -f "$dir/from-$mib.img"
}
copy_plain() { native_copy "$1" "$2"; }
copy_tls() { native_copy "$1" "$2" --tls=require --tls-psk="$dir/tls.psk"; }
piece copy_plain copy_plain
piece copy_tls copy_tls
rm -f "$dir/from.img" "$dir/to.img"

log "the resync denominators, as limits.sh"
disk=$(disk_seq_mbs 5)
tcp=$(tcp_mbs 5)
load=$(cut -d' ' -f1-3 /proc/loadavg)

# --- tables ---
gib_mb=$(calc "$size_mib * 1.048576")   # MB in a piece
per_gib() { calc "round($1 * 1024 / $size_mib, 3)"; }
mbs() { calc "round($gib_mb / $1, 1)"; }
max_mbs() { calc "round(2 * 1073.741824 / $1, 1)"; }   # what 2 cores sustain at CPU-s per GiB
echo
machine
echo "pieces of $size_mib MiB in $dir, fio $(fio --version), nbdkit $(nbdkit --version | cut -d' ' -f2), $(nbdcopy --version | head -1)," \
  "$(iperf3 --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2); TLS: $cipher with a PSK (GnuTLS)"
echo "CPU-s/GiB: perf stat task-clock of every process of the piece (threads, children, kernel work in their context);"
echo "machine s/GiB: busy time of all CPUs from /proc/stat during the client's run, less the background ($(calc "round($background, 3)") CPU-s per s);"
echo "every figure less the same piece's run with 1 MiB (process starts, connections, handshakes)"
printf '| %-62s | %8s | %12s | %12s |\n' piece "MB/s" "CPU-s/GiB" "machine s/GiB"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..64})" "----------" "--------------" "--------------"
declare -A label=(
  [nbd]="1. NBD leg: fio nbd 1 MiB QD8 -> nbdkit null"
  [write_cached]="2. write 1 MiB into cached pages (fio psync)"
  [write_cached_sync]="2. same + fsync at the end (its writeback, for reference)"
  [write_new]="2. write 1 MiB into new pages (new allocated file)"
  [write_new_reused]="2. same again, into the memory that file's pages freed"
  [write_direct]="2. write 1 MiB O_DIRECT"
  [read_cached]="3. read 1 MiB from cached pages"
  [tcp]="4. loopback TCP, iperf3 -n (both ends)"
  [link_plain]="4. nbdkit null -> nbdcopy null:, plaintext"
  [link_tls]="4. nbdkit null -> nbdcopy null:, $cipher"
  [one]="one node natively: fio nbd 1 MiB QD8 -> nbdkit file"
  [tandem]="one node: fio nbd 1 MiB QD8 -> the daemon (StandAlone)"
  [copy_plain]="nbdcopy nbdkit file -> nbdkit file, plaintext"
  [copy_tls]="nbdcopy nbdkit file -> nbdkit file, $cipher"
)
declare -A g   # piece -> CPU-s per GiB
for p in nbd write_cached write_cached_sync write_new write_new_reused write_direct read_cached tcp link_plain link_tls one tandem copy_plain copy_tls; do
  [ -n "${cpu[$p]:-}" ] || continue
  g[$p]=$(per_gib "${cpu[$p]}")
  printf '| %-62s | %8s | %12s | %12s |\n' "${label[$p]}" "$(mbs "${wall[$p]}")" "${g[$p]}" "$(per_gib "${sys[$p]}")"
done
[ -z "${g[tandem]:-}" ] || echo "(the daemon's row: fio's task-clock and the daemon's, from perf stat -p over the run)"

# The TLS link for the floors: the least of three estimates, each with AES-256-GCM as Tandem's links use it:
# nbdcopy's TLS copy; raw TCP plus what TLS added to nbdcopy's copy; raw TCP plus OpenSSL's AES-256-GCM
# alone on both ends (no record framing, no extra copy: what no TLS implementation can go below).
tls_add=$(calc "${g[link_tls]} - ${g[link_plain]}")
link_gnutls=$(calc "round(${g[link_tls]} + $aes_extra, 3)")
link_tcp_gnutls=$(calc "round(${g[tcp]} + $tls_add + $aes_extra, 3)")
link_tcp_aes=$(calc "round(${g[tcp]} + 2 * 1073.741824 / $aes256, 3)")
link=$(calc "min($link_gnutls, $link_tcp_gnutls, $link_tcp_aes)")
floor_one=$(calc "round(${g[nbd]} + ${g[write_cached]}, 3)")
floor_repl=$(calc "round(${g[nbd]} + 2 * ${g[write_cached]} + $link, 3)")
floor_resync=$(calc "round(${g[read_cached]} + $link + ${g[write_new]}, 3)")
floor_resync_reused=$(calc "round(${g[read_cached]} + $link + ${g[write_new_reused]}, 3)")
floor_resync_direct=$(calc "round(${g[read_cached]} + $link + ${g[write_direct]}, 3)")
echo
echo "AES-GCM on one core (openssl speed, 16 KiB): aes-128-gcm $aes128 MB/s, aes-256-gcm $aes256 MB/s; AES-256's extra rounds on both ends: $aes_extra CPU-s/GiB"
echo "the TLS link per GiB, least of: nbdcopy TLS + AES-256's extra $link_gnutls; iperf3 + TLS's share of nbdcopy + AES-256's extra" \
  "$link_tcp_gnutls; iperf3 + AES-256-GCM on both ends $link_tcp_aes -> $link"
printf '| %-62s | %12s | %14s |\n' floor "CPU-s/GiB" "max MB/s (2 cores)"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..64})" "--------------" "----------------"
floor_row() { printf '| %-62s | %12s | %14s |\n' "$1" "$2" "$(max_mbs "$2")"; }
floor_row "one node: 1 + 2 cached" "$floor_one"
floor_row "protocol C/A sustained: 1 + 2 cached + 4 TLS + 2 cached" "$floor_repl"
floor_row "resync: 3 + 4 TLS + 2 new pages" "$floor_resync"
floor_row "resync: 3 + 4 TLS + 2 new pages in memory just freed" "$floor_resync_reused"
floor_row "resync, O_DIRECT on the target: 3 + 4 TLS + 2 O_DIRECT" "$floor_resync_direct"
floor_row "(measured) one node natively, nbdkit file" "${g[one]}"
floor_row "(measured) nbdcopy file -> file over TLS" "${g[copy_tls]}"

echo
one_seq=$nbdkit_seq one_label="nbdkit file (stand-in: no target/quarkus-app)"
if [ -n "$tandem_seq" ]; then one_seq=$tandem_seq one_label="the daemon, StandAlone"; fi
ceiling=$(calc "min($disk, $tcp)")
echo "one node measured as replication.sh (fio nbd, ${runtime}s): nbdkit file $nbdkit_seq MB/s seq, QD1 p50 $lat_direct us;" \
  "the daemon $tandem_seq MB/s seq, QD1 p50 $tandem_p50 us; targets from: $one_label"
echo "resync denominators, same run: disk 1 MiB O_DIRECT write $disk MB/s, loopback TCP $tcp MB/s -> min $ceiling MB/s"
echo "one more NBD hop natively, 4 KiB QD1 p50: nbdkit file $lat_direct us; through nbdkit nbd, plaintext $lat_hop us, TLS $lat_hop_tls us"
echo "load average after the runs: $load"
printf '| %-50s | %14s | %12s | %10s |\n' target "floor max" target "reachable?"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..52})" "----------------" "--------------" "------------"
verdict() { # label floor-figure target-figure at-least|at-most
  local ok
  if [ "$4" = at-least ]; then ok=$(calc "'yes' if $2 >= $3 else 'no'"); else ok=$(calc "'yes' if $2 <= $3 else 'no'"); fi
  printf '| %-50s | %14s | %12s | %10s |\n' "$1" "$2" "$3" "$ok"
}
max_repl=$(max_mbs "$floor_repl")
verdict "protocol C seq MB/s >= 0.6x one node" "$max_repl" "$(calc "round(0.6 * $one_seq, 1)")" at-least
verdict "protocol A seq MB/s >= 0.85x one node" "$max_repl" "$(calc "round(0.85 * $one_seq, 1)")" at-least
verdict "  ratio of the floors (C or A / one node) >= 0.6" "$(calc "round($floor_one / $floor_repl, 2)")" 0.6 at-least
verdict "  ratio of the floors (C or A / one node) >= 0.85" "$(calc "round($floor_one / $floor_repl, 2)")" 0.85 at-least
verdict "resync MB/s >= 0.7x min(disk, TCP), new pages" "$(max_mbs "$floor_resync")" "$(calc "round(0.7 * $ceiling, 1)")" at-least
verdict "  same, new pages in memory just freed" "$(max_mbs "$floor_resync_reused")" "$(calc "round(0.7 * $ceiling, 1)")" at-least
verdict "resync MB/s >= 0.7x min(disk, TCP), O_DIRECT" "$(max_mbs "$floor_resync_direct")" "$(calc "round(0.7 * $ceiling, 1)")" at-least
verdict "QD1 p50 <= 2x one node: native hop, TLS (no floor)" "$(calc "round($lat_hop_tls / $lat_direct, 2)")" 2 at-most
