package uk.e42.tandem.nbd;

import java.util.Optional;

/**
 * Decides whether a decoded request may run, and if not, which NBD error it gets and why (proto.md
 * "Error values" and "Block size constraints"; the ENOSPC/EINVAL split for out-of-range requests is
 * nbdkit's). The write gate is asked on every writing request, so a demotion takes effect at once.
 */
final class RequestCheck {

    record Refusal(NbdError error, String message) {
    }

    private RequestCheck() {
    }

    static Optional<Refusal> check(NbdRequest r, NbdSession session) {
        NbdExport export = session.export();
        String what = Nbd.commandName(r.type());
        int allowedFlags = switch (r.type()) {
            case Nbd.CMD_READ, Nbd.CMD_WRITE, Nbd.CMD_FLUSH, Nbd.CMD_TRIM, Nbd.CMD_DISC -> Nbd.CMD_FLAG_FUA;
            case Nbd.CMD_WRITE_ZEROES -> Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE;
            default -> -1;
        };
        if (allowedFlags < 0) {
            return refuse(NbdError.EINVAL, what + " is not supported by this server");
        }
        if ((r.flags() & ~allowedFlags) != 0) {
            return refuse(NbdError.EINVAL, what + " does not take flags 0x" + Integer.toHexString(r.flags() & ~allowedFlags));
        }
        if (r.type() == Nbd.CMD_FLUSH || r.type() == Nbd.CMD_DISC) {
            if (r.offset() != 0 || r.length() != 0) {
                return refuse(NbdError.EINVAL, what + " must have offset and length 0, not "
                        + Long.toUnsignedString(r.offset()) + " and " + r.length());
            }
            return Optional.empty();
        }
        if (r.writes()) {
            if (session.readOnly()) {
                return refuse(NbdError.EPERM, "export " + export.name() + " was opened read-only ("
                        + session.readOnlyReason() + "); reconnect once it is writable");
            }
            Optional<String> refusal = export.writeRefusal();
            if (refusal.isPresent()) {
                return refuse(NbdError.EPERM, "export " + export.name() + " refuses writes: " + refusal.get());
            }
        }
        long size = export.size();
        if (r.offset() < 0 || r.offset() > size || r.length() > size - r.offset()) {
            boolean write = r.type() == Nbd.CMD_WRITE || r.type() == Nbd.CMD_WRITE_ZEROES;
            return refuse(write ? NbdError.ENOSPC : NbdError.EINVAL, what + " of " + r.length() + " bytes at offset "
                    + Long.toUnsignedString(r.offset()) + " goes beyond the end of export " + export.name()
                    + " (" + size + " bytes)");
        }
        BlockSizes sizes = export.blockSizes();
        if (r.offset() % sizes.minimum() != 0 || r.length() % sizes.minimum() != 0) {
            return refuse(NbdError.EINVAL, what + " offset " + r.offset() + " length " + r.length()
                    + " is not aligned to the minimum block size " + sizes.minimum());
        }
        boolean bounded = r.type() != Nbd.CMD_TRIM;
        if (bounded && r.length() > sizes.maximum()) {
            return refuse(NbdError.EINVAL, what + " of " + r.length() + " bytes exceeds the maximum block size "
                    + sizes.maximum());
        }
        return Optional.empty();
    }

    private static Optional<Refusal> refuse(NbdError error, String message) {
        return Optional.of(new Refusal(error, message));
    }
}
