#!/usr/bin/env bash
# Tandem's NBD server against nbdkit's file plugin, same kind of file on the same disk, same run:
# 1 MiB sequential write (MB/s) and 4 KiB random write IOPS at queue depth 1 and 32, driven by fio's
# nbd engine (libnbd). Rounds alternate between the servers; each figure is the best of its rounds.
# Needs: the built application (./mvnw package -DskipTests), nbdkit, fio, python3.
# Settings: BENCH_DIR (default a new directory under /var/tmp), SIZE (1G), RUNTIME seconds (10), ROUNDS (2).
source "$(dirname "$(readlink -f "$0")")/lib.sh"
app="$here/target/quarkus-app"
size=${SIZE:-1G} runtime=${RUNTIME:-10} rounds=${ROUNDS:-2}
need nbdkit fio python3 nbdinfo
JAVA_HOME=$("$here/deploy/java-home.sh")
jvm_opts=()
release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null || true)
if [ "${release:-0}" -ge 24 ]; then jvm_opts+=(--sun-misc-unsafe-memory-access=allow); fi

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

run_fio() { # uri seq|qd1|qd32: write MB/s for seq, IOPS otherwise
  local column=2
  [ "$2" = seq ] && column=1
  fio_nbd "$1" "$2" "$runtime" "$size" | cut -d' ' -f"$column"
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
