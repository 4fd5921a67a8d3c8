#!/usr/bin/env bash
# This machine's limits, the denominators of the other scripts: disk sequential write and durable 4 KiB
# write latency (fio), one loopback TCP stream (iperf3) and AES-256-GCM on one core (openssl), with the
# figures /work/shared/reference/baseline.md recorded for this machine kind beside them.
# Settings: BENCH_DIR (default a new directory under /var/tmp), RUNTIME seconds per figure (5).
source "$(dirname "$(readlink -f "$0")")/lib.sh"
need_tools fio iperf3 openssl python3
runtime=${RUNTIME:-5}
log "disk sequential write"; seq=$(disk_seq_mbs "$runtime")
log "disk 4 KiB write + fdatasync"; read -r sync_iops sync_p50 sync_p99 < <(disk_sync_lat "$runtime")
log "loopback TCP"; tcp=$(tcp_mbs "$runtime")
log "AES-256-GCM"
aes=$(openssl speed -seconds "$runtime" -bytes 16384 -evp aes-256-gcm 2>/dev/null \
  | awk '/^aes-256-gcm|^AES-256-GCM/ {v=$NF; sub(/k$/, "", v); printf "%.1f\n", v * 1000 / 1e6}')
echo
machine
echo "files in $dir, fio $(fio --version), $(iperf3 --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2), ${runtime}s each"
printf '| %-44s | %12s | %16s |\n' figure "this run" "baseline.md"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..18})"
printf '| %-44s | %12s | %16s |\n' "disk 1 MiB sequential write O_DIRECT, MB/s" "$seq" 1301
printf '| %-44s | %12s | %16s |\n' "disk 4 KiB random write + fdatasync, IOPS" "$sync_iops" 2429
printf '| %-44s | %12s | %16s |\n' "  same, p50 / p99 latency, us" "$sync_p50 / $sync_p99" "120 / 210"
printf '| %-44s | %12s | %16s |\n' "loopback TCP, one stream, MB/s" "$tcp" 1860
printf '| %-44s | %12s | %16s |\n' "AES-256-GCM 16 KiB blocks, one core, MB/s" "$aes" 4200
echo "resync ceiling min(disk, TCP): $(python3 -c "print(min($seq, $tcp))") MB/s"
