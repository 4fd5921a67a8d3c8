#!/usr/bin/env bash
# A first look at Tandem: the seed's pair, rosaria (Primary) and paimon (Secondary), as two daemons
# on this machine with file-backed disks under a work directory. Ctrl-C stops both cleanly.
#   deploy/local-pair.sh [WORKDIR]      (default: ./target/local-pair; size: SIZE=256M)
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
work=$(mkdir -p "${1:-$here/target/local-pair}" && cd "${1:-$here/target/local-pair}" && pwd)
size=${SIZE:-256M}
tandem="$here/tandem"
[ -f "$here/target/quarkus-app/quarkus-run.jar" ] || "$tandem" --version >/dev/null

declare -A http=([rosaria]=8181 [paimon]=8182) admin=([rosaria]=7801 [paimon]=7802) nbd=([rosaria]=10809 [paimon]=10810)
node_env() { # the settings that make NAME a node of its own on this machine
  echo TANDEM_NODE_NAME="$1" TANDEM_CONFIG="$work/drbd.conf" TANDEM_ADMIN_ADDRESS=127.0.0.1:"${admin[$1]}" \
    TANDEM_NBD_PORT="${nbd[$1]}" QUARKUS_HTTP_PORT="${http[$1]}" TANDEM_TLS_KEY_FILE="$work/static.key" \
    TANDEM_STATE_DIR="$work/state-$1"
}
on() { local name=$1; shift; echo "$name# tandem $*" >&2; env $(node_env "$name") "$tandem" "$@"; }

cat > "$work/drbd.conf" <<CONF
global { usage-count no; }
common { net { protocol C; } }
resource replicated0 {
    device /dev/drbd0;
    meta-disk internal;
    on rosaria { disk $work/rosaria.img; address 127.0.0.1:7789; }
    on paimon  { disk $work/paimon.img;  address 127.0.0.1:7790; }
}
CONF
for n in rosaria paimon; do [ -f "$work/$n.img" ] || truncate -s "$size" "$work/$n.img"; done

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping rosaria and paimon" >&2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

[ -f "$work/static.key" ] || "$tandem" genkey secret "$work/static.key"
for n in rosaria paimon; do
  env $(node_env "$n") "$tandem" daemon >"$work/$n.log" 2>&1 &
  pids+=($!)
done
for n in rosaria paimon; do
  until curl -sf "http://127.0.0.1:${http[$n]}/q/health/live" >/dev/null; do
    kill -0 "${pids[0]}" "${pids[1]}" 2>/dev/null || { echo "a daemon exited; see $work/*.log" >&2; exit 1; }
    sleep 0.5
  done
done
for n in rosaria paimon; do on "$n" create-md --force replicated0; on "$n" up replicated0; done
on rosaria primary --overwrite-data-of-peer replicated0
until on rosaria status replicated0 | tee /dev/stderr | grep -q 'peer-disk:UpToDate'; do sleep 2; done
cat <<MSG

rosaria is Primary and paimon is in sync. The volume is NBD export "replicated0" (also "drbd0")
on 127.0.0.1:${nbd[rosaria]}, e.g.:
  nbdinfo nbd://127.0.0.1:${nbd[rosaria]}/replicated0
  nbdfuse $work/mnt nbd://127.0.0.1:${nbd[rosaria]}/replicated0 &   # then losetup, mkfs.ext4, mount
Status of either node:  env \$(...) tandem status   (logs: $work/rosaria.log, $work/paimon.log)
Press Ctrl-C to stop both nodes.
MSG
wait
