#!/usr/bin/env bash
# Thread hand-offs of one replicated 4 KiB write at queue depth 1: a protocol C (or PROTOCOL=A/B) pair on
# 127.0.0.1 as replication.sh starts it, fio QD1 random writes for RUNTIME seconds, and per thread name (digits
# folded: "grpc-nio-worker-ELG-3-1" and "-3-2" are one row) on each node how many times its threads went to
# sleep and were woken (voluntary context switches) and how much CPU they used, per write. Threads that were
# not woken during the run are left out. A hop from one thread to another costs the woken thread one
# voluntary switch, so each row near 1.0 is a hand-off on every write. The NBD connection's threads are in
# the Primary's rows (fio's connection is opened before the first count). Then, from 2 s of perf's sched_waking
# events (all CPUs), which thread woke which, per write, and how many of the woken had last run on the other CPU.
# Settings: BENCH_DIR, SIZE_MIB (256), RUNTIME (10), PROTOCOL (C), TLS_MODE (static-key), TANDEM_HOME.
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need fio nbdinfo python3 curl perf
size_mib=${SIZE_MIB:-256} runtime=${RUNTIME:-10} protocol=${PROTOCOL:-C}
export TLS_MODE=${TLS_MODE:-static-key}
node_init rosaria paimon
write_conf "$protocol" "" "" rosaria paimon
bring_up "$size_mib" rosaria paimon
serve_on_rosaria pair
uri="nbd://127.0.0.1:${nbd_port[rosaria]}/r0"
fio_size=$((size_mib - 64))M
log "warming up (not counted)"
fio_nbd "$uri" qd1 5 "$fio_size" >/dev/null

threads() { # pid -> "tid name voluntary_switches cpu_ns" per thread
  for t in /proc/"$1"/task/*; do
    printf '%s %s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" \
      "$(sed -n 's/^voluntary_ctxt_switches:\s*//p' "$t/status")" "$(cut -d' ' -f1 "$t/schedstat")"
  done 2>/dev/null
}
written_kib() { curl -sf "http://127.0.0.1:${http_port[rosaria]}/proc/drbd" | grep -o '\bdw:[0-9]*' | head -1 | cut -d: -f2; }
# fio's job runs in the background so the counts bracket its writes (its connection is open by the first one).
fio --name=bench --ioengine=nbd --uri="$uri" --rw=randwrite --bs=4k --iodepth=1 --size="$fio_size" \
  --time_based --runtime="$((runtime + 4))" --output-format=json >"$dir/fio.json" 2>/dev/null &
fio_pid=$!
sleep 1
threads "${node_pid[rosaria]}" >"$dir/primary.before"; threads "${node_pid[paimon]}" >"$dir/secondary.before"
ios_before=$(written_kib)
sleep "$runtime"
threads "${node_pid[rosaria]}" >"$dir/primary.after"; threads "${node_pid[paimon]}" >"$dir/secondary.after"
ios_after=$(written_kib)
# Who wakes whom: every wake-up on the machine for 2 s (perf's sched_waking tracepoint, in the waker's context:
# on loopback the sender's thread delivers the packet and wakes the receiver itself).
perf record -q -e sched:sched_waking -a -o "$dir/wakeups.data" -- sleep 2 >/dev/null 2>&1
perf script -i "$dir/wakeups.data" -F comm,tid,cpu,trace >"$dir/wakeups.txt" 2>/dev/null
wait "$fio_pid"
writes=$(( (ios_after - ios_before) / 4 ))   # dw: KiB written to the local disk, 4 KiB a write
machine
echo "protocol $protocol ($TLS_MODE), fio QD1 4 KiB random writes, $writes writes counted in ${runtime} s" \
  "($((writes / runtime)) IOPS; fio's own run: $(fio_figures <"$dir/fio.json" | cut -d' ' -f2-4) IOPS p50us p99us)"
for side in primary secondary; do
  python3 - "$dir/$side.before" "$dir/$side.after" "$writes" "$side" <<'EOF'
import re, sys
def load(path):
    return {f[0]: (f[1], int(f[2]), int(f[3])) for f in (l.split() for l in open(path)) if len(f) == 4}
before, after, writes, side = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = {}
for tid, (name, sw, ns) in after.items():
    sw0, ns0 = before.get(tid, (name, 0, 0))[1:]
    key = re.sub(r'\d+', 'N', name)
    r = rows.setdefault(key, [0, 0, 0])
    r[0] += sw - sw0; r[1] += ns - ns0; r[2] += 1
print(f"\n{side}: per write")
print(f"| {'thread (name)':<24} | threads | wake-ups | CPU us |")
print(f"|{'-' * 26}|---------|----------|--------|")
total = [0, 0]
for key, (sw, ns, n) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
    if sw / writes < 0.02:
        continue
    total[0] += sw; total[1] += ns
    print(f"| {key:<24} | {n:>7} | {sw / writes:>8.2f} | {ns / writes / 1e3:>6.1f} |")
print(f"| {'all of the above':<24} |         | {total[0] / writes:>8.2f} | {total[1] / writes / 1e3:>6.1f} |")
EOF
done

python3 - "$dir" "$writes" "$runtime" "$(pgrep -d, -x fio || true)" <<'EOF'
import re, sys
d, writes, runtime = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fio = set(sys.argv[4].split(',')) - {''}
names = {}
for side, node in (('primary', 'P'), ('secondary', 'S')):
    for l in open(f"{d}/{side}.after"):
        f = l.split()
        if len(f) == 4:
            names[f[0]] = node + ' ' + re.sub(r'\d+', 'N', f[1])
def who(tid, comm):
    return names.get(tid) or ('fio' if tid in fio or comm == 'fio' else None)
pairs = {}
for l in open(f"{d}/wakeups.txt"):
    m = re.match(r'\s*(.*?)\s+(\d+)\s+\[(\d+)\]\s+(?:sched:sched_waking:\s+)?comm=(.*) pid=(\d+) prio=\d+ target_cpu=(\d+)', l)
    if not m:
        continue
    waker, wakee = who(m[2], m[1]), who(m[5], m[4])
    if wakee is None:
        continue
    key = (waker or m[1] + ' (other)', wakee)
    p = pairs.setdefault(key, [0, 0])
    p[0] += 1
    p[1] += int(m[3]) != int(m[6])
per = writes / runtime * 2   # writes in the 2 s, at the counted rate
print(f"\nwho wakes whom, per write (2 s of sched_waking; P = Primary, S = Secondary; other CPU: the woken thread last ran on the other CPU than its waker)")
print(f"| {'waker':<28} | {'woken':<24} | per write | other CPU |")
print(f"|{'-' * 30}|{'-' * 26}|-----------|-----------|")
for (waker, wakee), (n, cross) in sorted(pairs.items(), key=lambda kv: -kv[1][0]):
    if n / per >= 0.02:
        print(f"| {waker:<28} | {wakee:<24} | {n / per:>9.2f} | {cross / per:>9.2f} |")
EOF
