#!/usr/bin/env bash
# Installs the Debian packages Tandem's end-to-end tests and benchmarks check it with (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  drbd-utils    # drbdadm, drbdadm-84, drbdmeta: config dumps and v08 meta data are compared with them
  libnbd-bin    # nbdinfo, nbdcopy, nbdfuse: NBD clients
  nbdkit        # the NBD baseline the benchmarks compare against
  qemu-utils    # qemu-io, qemu-nbd
  openvpn       # the seed's static-key tunnel
  fio iperf3    # benchmarks
  fuse3         # nbdfuse mounts
  e2fsprogs util-linux iproute2 curl procps  # mkfs.ext4, losetup, ip netns, health checks, pkill
  buildah umoci mmdebstrap  # build and unpack the container image without a Docker engine
  openrc busybox systemd    # run the OpenRC script, check it with ash, systemd-analyze verify the unit
  tcpdump                   # capture the peer link to prove it is encrypted
)
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "test dependencies installed: ${packages[*]}"
