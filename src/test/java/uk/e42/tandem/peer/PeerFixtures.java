package uk.e42.tandem.peer;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;

import uk.e42.tandem.peer.v1.AfterSbPolicy;
import uk.e42.tandem.peer.v1.ConnState;
import uk.e42.tandem.peer.v1.DiskState;
import uk.e42.tandem.peer.v1.FeatureFlag;
import uk.e42.tandem.peer.v1.Protocol;
import uk.e42.tandem.peer.v1.ProtocolParams;
import uk.e42.tandem.peer.v1.Role;
import uk.e42.tandem.peer.v1.Sizes;
import uk.e42.tandem.peer.v1.State;
import uk.e42.tandem.peer.v1.SyncParams;
import uk.e42.tandem.peer.v1.Uuids;

/** The seed's settings and small variations of them, for peer tests. */
final class PeerFixtures {

    static final int FEATURES = FeatureFlag.FEATURE_TRIM_VALUE | FeatureFlag.FEATURE_WRITE_ZEROES_VALUE;

    private PeerFixtures() {
    }

    /** The seed's net section: protocol A, discard-zero-changes / discard-secondary / disconnect. */
    static ProtocolParams.Builder seedProtocol() {
        return ProtocolParams.newBuilder()
                .setProtocol(Protocol.PROTOCOL_A)
                .setAfterSb0Pri(AfterSbPolicy.ASB_DISCARD_ZERO_CHANGES)
                .setAfterSb1Pri(AfterSbPolicy.ASB_DISCARD_SECONDARY)
                .setAfterSb2Pri(AfterSbPolicy.ASB_DISCONNECT);
    }

    /** The seed's syncer section as 8.4 reads it: rate 1M, csums-alg md5, verify-alg md5. */
    static SyncParams.Builder seedSync() {
        return SyncParams.newBuilder().setResyncRate(1024).setCsumsAlg("md5").setVerifyAlg("md5")
                .setCPlanAhead(20).setCDelayTarget(10).setCFillTarget(100).setCMaxRate(102400);
    }

    static Optional<CramHmac> sha1(String secret) {
        return Optional.of(CramHmac.of("sha1", secret, new SecureRandom()));
    }

    static HandshakeConfig config(Optional<CramHmac> auth, ProtocolParams.Builder protocol, SyncParams.Builder sync) {
        return HandshakeConfig.of(FEATURES, auth, protocol.build(), sync.build());
    }

    static HandshakeConfig seedConfig() {
        return config(sha1("joshua"), seedProtocol(), seedSync());
    }

    /** A freshly created, Inconsistent Secondary of 1 GiB. */
    static DeviceReport report(long currentUuid) {
        return new DeviceReport(
                Sizes.newBuilder().setBackingSectors(2 << 20).setMaxBioSize(1 << 20).build(),
                Uuids.newBuilder().setCurrent(currentUuid).setBitsSet(0).setInconsistent(true).build(),
                State.newBuilder().setRole(Role.ROLE_SECONDARY).setConn(ConnState.CONN_WF_REPORT_PARAMS)
                        .setDisk(DiskState.DISK_INCONSISTENT).setPeerDisk(DiskState.DISK_DUNKNOWN).build());
    }

    /** Fast liveness for tests: ping after 150 ms idle, ack due in 300 ms. */
    static NetOptions quickNet() {
        return new NetOptions(Duration.ofMillis(400), Duration.ofMillis(150), Duration.ofMillis(300),
                Duration.ofMillis(600), 3, 64 << 10);
    }
}
