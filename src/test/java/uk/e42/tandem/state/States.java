package uk.e42.tandem.state;

/** Test notation for states and contexts, close to what drbdadm prints: {@code Primary/Secondary Connected UpToDate/Inconsistent}. */
final class States {

    private States() {
    }

    /** {@code "role/peer conn disk/pdsk [flag...]"}, flags being susp, susp_nod, susp_fen, aftr_isp, peer_isp, user_isp. */
    static ResourceState st(String text) {
        String[] f = text.trim().split("\\s+");
        String[] ro = f[0].split("/");
        String[] ds = f[2].split("/");
        ResourceState s = ResourceState.of(Role.fromDrbdName(ro[0]), Role.fromDrbdName(ro[1]),
                ConnectionState.fromDrbdName(f[1]), DiskState.fromDrbdName(ds[0]), DiskState.fromDrbdName(ds[1]));
        for (int i = 3; i < f.length; i++) {
            s = switch (f[i]) {
                case "susp" -> s.withSusp(true);
                case "susp_nod" -> s.withSuspNod(true);
                case "susp_fen" -> s.withSuspFen(true);
                case "aftr_isp" -> s.withAftrIsp(true);
                case "peer_isp" -> s.withPeerIsp(true);
                case "user_isp" -> s.withUserIsp(true);
                default -> throw new IllegalArgumentException("unknown state flag " + f[i]);
            };
        }
        return s;
    }

    /**
     * {@link StateContext#DEFAULT} changed by space-separated words: no-net, two-primaries,
     * resource-only, stonith, verify-alg, proto=N, open, other-vol-peer-pri, state-sent, suspend-io.
     */
    static StateContext ctx(String text) {
        StateContext c = StateContext.DEFAULT;
        if (text == null || text.isBlank()) {
            return c;
        }
        for (String w : text.trim().split("\\s+")) {
            c = switch (w) {
                case "no-net" -> c.withNetConfigured(false);
                case "two-primaries" -> c.withAllowTwoPrimaries(true);
                case "resource-only" -> c.withFencing(Fencing.RESOURCE_ONLY);
                case "stonith" -> c.withFencing(Fencing.RESOURCE_AND_STONITH);
                case "verify-alg" -> c.withVerifyAlgConfigured(true);
                case "open" -> c.withDeviceOpen(true);
                case "other-vol-peer-pri" -> c.withPeerPrimaryOnOtherVolume(true);
                case "state-sent" -> c.withStateSent(true);
                case "suspend-io" -> c.withOnNoDataSuspendIo(true);
                default -> {
                    if (w.startsWith("proto=")) {
                        yield c.withAgreedProtocolVersion(Integer.parseInt(w.substring(6)));
                    }
                    throw new IllegalArgumentException("unknown context word " + w);
                }
            };
        }
        return c;
    }
}
