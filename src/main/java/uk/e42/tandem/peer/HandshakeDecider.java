package uk.e42.tandem.peer;

/**
 * Decides, once both sides' views are known, whether the connection proceeds (DRBD's
 * {@code drbd_sync_handshake}: Connected, WFBitMapS, WFBitMapT) or is dropped (split brain left
 * unresolved, a disk too small, ...). Runs on the connection's executor; must not block.
 */
@FunctionalInterface
public interface HandshakeDecider {

    Verdict decide(HandshakeViews views);

    /**
     * @param proceed   whether the connection continues
     * @param reconnect when refused: try again after connect-int (false: go StandAlone)
     * @param summary   for the log: the decision ("WFBitMapS by rule 50") or why it was refused
     */
    record Verdict(boolean proceed, boolean reconnect, String summary) {

        public static Verdict proceed(String summary) {
            return new Verdict(true, false, summary);
        }

        /** Refused until the administrator acts (DRBD: StandAlone). */
        public static Verdict standAlone(String reason) {
            return new Verdict(false, false, reason);
        }

        /** Refused for now; the next connect attempt may succeed. */
        public static Verdict retry(String reason) {
            return new Verdict(false, true, reason);
        }
    }
}
