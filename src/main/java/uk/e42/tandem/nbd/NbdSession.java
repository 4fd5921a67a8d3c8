package uk.e42.tandem.nbd;

/**
 * What option haggling settled for one connection: the export, whether replies are structured, and
 * whether the export was announced read-only (then every write on this connection is refused, as the
 * READ_ONLY flag promises, even if the gate opens later).
 */
record NbdSession(NbdExport export, boolean structuredReplies, boolean readOnly, String readOnlyReason) {

    int transmissionFlags() {
        return transmissionFlags(export, readOnly);
    }

    static int transmissionFlags(NbdExport export, boolean readOnly) {
        int flags = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA;
        if (readOnly) {
            flags |= Nbd.FLAG_READ_ONLY;
        } else {
            flags |= Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES;
        }
        if (export.multiConn()) {
            flags |= Nbd.FLAG_CAN_MULTI_CONN;
        }
        return flags;
    }
}
