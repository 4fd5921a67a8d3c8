package uk.e42.tandem.state;

import java.util.Objects;

/**
 * What DRBD's state rules read besides the two states: configuration and a few facts about the
 * device and the connection at the moment of the change. A record so that a rule table can spell
 * every input out.
 *
 * @param netConfigured          a net section is configured for the connection ({@code nc != NULL})
 * @param allowTwoPrimaries      {@code net { allow-two-primaries yes; }}
 * @param fencing                {@code disk { fencing ...; }}
 * @param verifyAlgConfigured    {@code net { verify-alg ...; }} is set
 * @param agreedProtocolVersion  the protocol version agreed with the peer (86..101; 0 before the handshake)
 * @param deviceOpen             someone holds the block device open (DRBD's {@code open_cnt})
 * @param peerPrimaryOnOtherVolume another volume of this connection has a Primary peer
 * @param stateSent              our state went to the peer during connection set-up ({@code STATE_SENT})
 * @param onNoDataSuspendIo      {@code on-no-data-accessible suspend-io} (default {@code io-error})
 * @param negotiation            set while the disk is Negotiating after an attach on a connected device
 */
public record StateContext(boolean netConfigured, boolean allowTwoPrimaries, Fencing fencing,
                           boolean verifyAlgConfigured, int agreedProtocolVersion, boolean deviceOpen,
                           boolean peerPrimaryOnOtherVolume, boolean stateSent, boolean onNoDataSuspendIo,
                           Negotiation negotiation) {

    /** drbd.conf defaults with a net section, protocol 101 agreed, nothing open, no attach pending. */
    public static final StateContext DEFAULT = new StateContext(true, false, Fencing.DONT_CARE, false, 101,
            false, false, false, false, null);

    public StateContext {
        Objects.requireNonNull(fencing, "fencing");
    }

    /**
     * The disk states an attach computed while it waited for the peer ({@code new_state_tmp}), and
     * whether the data exposed to users is still the attached disk's current generation
     * ({@code ed_uuid == current UUID}). If the connection drops while Negotiating, DRBD falls back
     * to these states, or goes Diskless when the exposed data came from somewhere else.
     */
    public record Negotiation(DiskState disk, DiskState pdsk, boolean exposedDataIsCurrent) {
        public Negotiation {
            Objects.requireNonNull(disk, "disk");
            Objects.requireNonNull(pdsk, "pdsk");
        }
    }

    public StateContext withNetConfigured(boolean v) {
        return new StateContext(v, allowTwoPrimaries, fencing, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withAllowTwoPrimaries(boolean v) {
        return new StateContext(netConfigured, v, fencing, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withFencing(Fencing v) {
        return new StateContext(netConfigured, allowTwoPrimaries, v, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withVerifyAlgConfigured(boolean v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, v, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withAgreedProtocolVersion(int v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, verifyAlgConfigured, v,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withDeviceOpen(boolean v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, verifyAlgConfigured, agreedProtocolVersion,
                v, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withPeerPrimaryOnOtherVolume(boolean v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, v, stateSent, onNoDataSuspendIo, negotiation);
    }

    public StateContext withStateSent(boolean v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, v, onNoDataSuspendIo, negotiation);
    }

    public StateContext withOnNoDataSuspendIo(boolean v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, v, negotiation);
    }

    public StateContext withNegotiation(Negotiation v) {
        return new StateContext(netConfigured, allowTwoPrimaries, fencing, verifyAlgConfigured, agreedProtocolVersion,
                deviceOpen, peerPrimaryOnOtherVolume, stateSent, onNoDataSuspendIo, v);
    }
}
