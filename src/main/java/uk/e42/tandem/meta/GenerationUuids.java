package uk.e42.tandem.meta;

import java.util.HexFormat;
import java.util.Locale;

/**
 * DRBD's generation identifiers: the current UUID, the bitmap UUID (0 when no bitmap is kept
 * against a peer) and two history UUIDs. Bit 0 of the current UUID marks "was Primary when it was
 * made" as in DRBD.
 *
 * <p>The operations are DRBD 8.4's rotations ({@code drbd_uuid_*} in drbd_main.c and their callers),
 * pure: each returns the new tuple, and the random bits a new UUID needs are passed in so callers
 * and tests decide where they come from. Persisting the result (at once, as DRBD's
 * {@code drbd_md_sync}) is the caller's job.
 */
public record GenerationUuids(long current, long bitmap, long history0, long history1) {
    /** The current UUID create-md writes: "no data generation yet". */
    public static final long UUID_JUST_CREATED = 4;
    /** Added to the bitmap UUID to derive the next sync UUID (protocol ≥ 96 recognises it). */
    public static final long UUID_NEW_BM_OFFSET = 0x0001000000000000L;

    /** What create-md writes: 4:0:0:0. */
    public static GenerationUuids justCreated() {
        return new GenerationUuids(UUID_JUST_CREATED, 0, 0, 0);
    }

    /** The current UUID without the "was Primary" bit, as every comparison uses it. */
    public long currentMasked() {
        return current & ~1L;
    }

    public boolean isJustCreated() {
        return current == UUID_JUST_CREATED;
    }

    /** {@code _drbd_uuid_set(CURRENT, v)}: the role decides bit 0. */
    public GenerationUuids withCurrent(long value, boolean primary) {
        return new GenerationUuids(roleBit(value, primary), bitmap, history0, history1);
    }

    public GenerationUuids withBitmap(long value) {
        return new GenerationUuids(current, value, history0, history1);
    }

    /**
     * {@code drbd_uuid_set(BITMAP, v)}: a non-zero bitmap UUID moves into history first
     * (history1 := history0, history0 := old bitmap UUID).
     */
    public GenerationUuids rotateBitmap(long value) {
        if (bitmap == 0) {
            return withBitmap(value);
        }
        return new GenerationUuids(current, value, bitmap, history0);
    }

    /**
     * {@code drbd_uuid_new_current}: the bitmap UUID takes the old current UUID verbatim (DRBD warns
     * when it was not 0 and overwrites it), the current UUID becomes {@code random} with bit 0 per role.
     * History is untouched.
     */
    public GenerationUuids newCurrent(long random, boolean primary) {
        return new GenerationUuids(roleBit(random, primary), current, history0, history1);
    }

    /**
     * Promotion ({@code drbd_set_role} to Primary): a new data generation starts when no peer with a
     * disk is reachable and no bitmap is kept yet, or when forced ({@code --force},
     * {@code --overwrite-data-of-peer}); then bit 0 is set.
     *
     * @param peerDiskReachable connected (≥ Connected) to a peer whose disk is better than Failed
     */
    public GenerationUuids promote(boolean peerDiskReachable, boolean forced, long random) {
        GenerationUuids g = (!peerDiskReachable && bitmap == 0) || forced ? newCurrent(random, true) : this;
        return new GenerationUuids(g.current | 1L, g.bitmap, g.history0, g.history1);
    }

    /** Demotion: bit 0 of the current UUID is cleared. */
    public GenerationUuids demote() {
        return new GenerationUuids(current & ~1L, bitmap, history0, history1);
    }

    /**
     * A Primary (with UpToDate disk) loses its peer or the peer's disk: from now on writes are tracked
     * against a new generation, unless a bitmap generation is already open.
     */
    public GenerationUuids peerLost(boolean primary, long random) {
        return bitmap == 0 ? newCurrent(random, primary) : this;
    }

    /** The sync UUID a SyncSource generates, and its own tuple after storing it. */
    public record SyncStart(GenerationUuids uuids, long syncUuid) {
    }

    /**
     * Resync start on the SyncSource ({@code drbd_gen_and_send_sync_uuid}): the sync UUID is the bitmap
     * UUID plus {@link #UUID_NEW_BM_OFFSET}, or random when there is no real bitmap UUID (0 or 4); it
     * replaces the bitmap UUID through {@link #rotateBitmap}. The caller sends it as P_SYNC_UUID.
     */
    public SyncStart syncSourceStart(long random) {
        long sync = bitmap != 0 && bitmap != UUID_JUST_CREATED ? bitmap + UUID_NEW_BM_OFFSET : random;
        return new SyncStart(rotateBitmap(sync), sync);
    }

    /** Resync start on the SyncTarget ({@code receive_sync_uuid}): current := sync UUID, bitmap := 0. */
    public GenerationUuids syncTargetStart(long syncUuid, boolean primary) {
        return new GenerationUuids(roleBit(syncUuid, primary), 0, history0, history1);
    }

    /**
     * A successful resync ends on the SyncTarget ({@code drbd_resync_finished}): take the peer's bitmap
     * and history UUIDs as last received, put the own current UUID (the sync UUID) in the bitmap slot
     * via {@link #rotateBitmap}, take the peer's current UUID, then {@link #resyncFinished()}.
     */
    public GenerationUuids syncTargetFinished(GenerationUuids peer, boolean primary) {
        GenerationUuids adopted = new GenerationUuids(current, peer.bitmap, peer.history0, peer.history1)
                .rotateBitmap(current);
        return adopted.withCurrent(peer.current, primary).resyncFinished();
    }

    /**
     * The end of a successful resync on both sides ({@code drbd_uuid_set_bm(0)}): the bitmap UUID goes
     * to history (history1 := history0, history0 := bitmap), bitmap := 0. Nothing happens when it was 0.
     */
    public GenerationUuids resyncFinished() {
        if (bitmap == 0) {
            return this;
        }
        return new GenerationUuids(current, 0, bitmap, history0);
    }

    /**
     * {@code new-current-uuid} ({@code drbd_adm_new_c_uuid}): rotate the bitmap UUID into history, then
     * {@link #newCurrent}. With {@code --clear-bitmap} the caller also clears and writes the bitmap.
     */
    public GenerationUuids newCurrentUuid(long random, boolean primary) {
        return rotateBitmap(0).newCurrent(random, primary);
    }

    /**
     * {@code new-current-uuid --clear-bitmap} on a connected pair that was just created ("skip initial
     * sync"): as {@link #newCurrentUuid}, then the bitmap UUID is cleared; the peer is told with
     * UUID flag 8 and calls {@link #adoptSkippedInitialSync}.
     */
    public GenerationUuids skipInitialSync(long random, boolean primary) {
        return newCurrentUuid(random, primary).withBitmap(0);
    }

    /** The receiving side of "skip initial sync": take the peer's current UUID, no bitmap UUID. */
    public GenerationUuids adoptSkippedInitialSync(long peerCurrent, boolean primary) {
        return new GenerationUuids(roleBit(peerCurrent, primary), 0, history0, history1);
    }

    private static long roleBit(long value, boolean primary) {
        return primary ? value | 1L : value & ~1L;
    }

    /** DRBD's text form: {@code CURRENT:BITMAP:HISTORY1:HISTORY2}, 16 upper-case hex digits each. */
    @Override
    public String toString() {
        return hex(current) + ":" + hex(bitmap) + ":" + hex(history0) + ":" + hex(history1);
    }

    static String hex(long v) {
        return HexFormat.of().withUpperCase().toHexDigits(v);
    }

    /** Parses {@link #toString()}'s form (hex, upper or lower case, leading zeroes optional). */
    public static GenerationUuids parse(String text) {
        String[] parts = text.trim().split(":");
        if (parts.length != 4) {
            throw new IllegalArgumentException("generation UUIDs '" + text
                    + "': expected CURRENT:BITMAP:HISTORY1:HISTORY2 in hex");
        }
        long[] v = new long[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Long.parseUnsignedLong(parts[i].toLowerCase(Locale.ROOT), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("generation UUIDs '" + text + "': '" + parts[i]
                        + "' is not a 64-bit hex number", e);
            }
        }
        return new GenerationUuids(v[0], v[1], v[2], v[3]);
    }
}
