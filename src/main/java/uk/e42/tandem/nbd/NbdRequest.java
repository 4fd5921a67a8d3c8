package uk.e42.tandem.nbd;

import java.nio.ByteBuffer;

/**
 * One transmission-phase request as decoded: the header fields, and for NBD_CMD_WRITE the payload
 * ({@code null} when the payload was too large to hold and was skipped, which the check then refuses).
 * {@code offset} is the wire's unsigned 64-bit value, so a negative one is beyond any export.
 */
record NbdRequest(int flags, int type, long handle, long offset, long length, ByteBuffer payload) {

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Commands that change the export and so need a writable one. */
    boolean writes() {
        return type == Nbd.CMD_WRITE || type == Nbd.CMD_TRIM || type == Nbd.CMD_WRITE_ZEROES;
    }

    /** The byte range a request touches, for ordering; empty for commands without one. */
    long end() {
        return offset + length;
    }

    String describe() {
        return Nbd.commandName(type) + " offset " + Long.toUnsignedString(offset) + " length " + length
                + (flags != 0 ? " flags 0x" + Integer.toHexString(flags) : "");
    }
}
