#!/usr/bin/env bash
# Tandem's NBD server against nbdkit's file plugin, same kind of file on the same disk, same run:
# 1 MiB sequential write (MB/s) and 4 KiB random write IOPS at queue depth 1 and 32, driven by fio's
# nbd engine (libnbd). Rounds alternate between the servers; each figure is the best of its rounds.
# Needs: the built application (./mvnw package -DskipTests), nbdkit, fio, python3.
# Settings: BENCH_DIR (default a new directory under /var/tmp), SIZE (1G), RUNTIME seconds (10), ROUNDS (2),
# FIGURES (seq qd1 qd32), TANDEM_HOME (the build to measure, default target/quarkus-app), BEFORE_HOME (a copy of an earlier target/quarkus-app: its server runs in the same
# rounds as a third column, so a change is judged against the build before it in the same minutes).
source "$(dirname "$(readlink -f "$0")")/lib.sh"
app="${TANDEM_HOME:-$here/target/quarkus-app}"
before=${BEFORE_HOME:-}
figures=${FIGURES:-seq qd1 qd32}
size=${SIZE:-1G} runtime=${RUNTIME:-10} rounds=${ROUNDS:-2}
need nbdkit fio python3 nbdinfo
for f in $figures; do
  case $f in seq | qd1 | qd32) ;; *) echo "bench: FIGURES has '$f'; use some of: seq qd1 qd32" >&2; exit 2 ;; esac
done
JAVA_HOME=$("$here/deploy/java-home.sh")
jvm_opts=()
release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null || true)
if [ "${release:-0}" -ge 24 ]; then jvm_opts+=(--sun-misc-unsafe-memory-access=allow); fi

servers=(tandem nbdkit)
[ -n "$before" ] && servers=(before tandem nbdkit)
[ -z "$before" ] || [ -f "$before/quarkus-run.jar" ] || { echo "bench: BEFORE_HOME=$before holds no quarkus-run.jar" >&2; exit 1; }
for f in "${servers[@]}"; do rm -f "$dir/$f.img"; fallocate -l "$size" "$dir/$f.img"; done
start_file_server() { # name app port
  "$JAVA_HOME/bin/java" "${jvm_opts[@]}" ${TANDEM_JAVA_OPTS:-} -cp "$2/app/*:$2/lib/main/*:$2/lib/boot/*" \
    uk.e42.tandem.nbd.NbdFileServer "$dir/$1.img" --port "$3" --name replicated0 >"$dir/$1.log" 2>&1 &
  pids+=($!)
}
tport=$(free_port) kport=$(free_port) bport=$(free_port)
start_file_server tandem "$app" "$tport"
[ -z "$before" ] || start_file_server before "$before" "$bport"
nbdkit -f -p "$kport" -i 127.0.0.1 file "$dir/nbdkit.img" >"$dir/nbdkit.log" 2>&1 &
pids+=($!)
turi="nbd://127.0.0.1:$tport/replicated0" kuri="nbd://127.0.0.1:$kport/" buri="nbd://127.0.0.1:$bport/replicated0"
await_nbd "$turi"; await_nbd "$kuri"
[ -z "$before" ] || await_nbd "$buri"
declare -A uri_of=([tandem]=$turi [nbdkit]=$kuri [before]=$buri)

run_fio() { # uri seq|qd1|qd32: write MB/s for seq, IOPS otherwise
  local column=2
  [ "$2" = seq ] && column=1
  fio_nbd "$1" "$2" "$runtime" "$size" | cut -d' ' -f"$column"
}

echo "bench: warming up Tandem's JIT (not counted)" >&2
RUNTIME_SAVE=$runtime runtime=5
for f in $figures; do
  run_fio "$turi" "$f" >/dev/null
  [ -z "$before" ] || run_fio "$buri" "$f" >/dev/null
done
runtime=$RUNTIME_SAVE

declare -A best
for r in $(seq "$rounds"); do
  for f in $figures; do
    for s in "${servers[@]}"; do
      v=$(run_fio "${uri_of[$s]}" "$f")
      echo "bench: round $r $f $s $v" >&2
      if [ -z "${best[$s.$f]:-}" ] || python3 -c "import sys; sys.exit(0 if $v > ${best[$s.$f]} else 1)"; then
        best[$s.$f]=$v
      fi
    done
  done
done

echo
echo "NBD write performance, $(nproc) cores, files of $size in $dir, fio $(fio --version), best of $rounds x ${runtime}s"
[ -z "$before" ] || echo "before: $before"
dashes() { printf -- '-%.0s' $(seq "$1"); }
if [ -n "$before" ]; then
  printf '| %-32s | %10s | %10s | %10s | %6s | %6s |\n' figure before Tandem nbdkit was ratio
  printf '|%s|%s|%s|%s|%s|%s|\n' "$(dashes 34)" "$(dashes 12)" "$(dashes 12)" "$(dashes 12)" "$(dashes 8)" "$(dashes 8)"
else
  printf '| %-32s | %10s | %10s | %6s |\n' figure Tandem nbdkit ratio
  printf '|%s|%s|%s|%s|\n' "$(dashes 34)" "$(dashes 12)" "$(dashes 12)" "$(dashes 8)"
fi
for f in $figures; do
  case $f in
    seq) label="1 MiB sequential write, MB/s" ;;
    qd1) label="4 KiB random write QD1, IOPS" ;;
    qd32) label="4 KiB random write QD32, IOPS" ;;
  esac
  ratio=$(python3 -c "print(f'{${best[tandem.$f]} / ${best[nbdkit.$f]}:.2f}x')")
  if [ -n "$before" ]; then
    was=$(python3 -c "print(f'{${best[before.$f]} / ${best[nbdkit.$f]}:.2f}x')")
    printf '| %-32s | %10s | %10s | %10s | %6s | %6s |\n' "$label" "${best[before.$f]}" "${best[tandem.$f]}" \
      "${best[nbdkit.$f]}" "$was" "$ratio"
  else
    printf '| %-32s | %10s | %10s | %6s |\n' "$label" "${best[tandem.$f]}" "${best[nbdkit.$f]}" "$ratio"
  fi
done
