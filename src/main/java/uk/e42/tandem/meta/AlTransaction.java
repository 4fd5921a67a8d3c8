package uk.e42.tandem.meta;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One 4 KiB activity-log transaction block (DRBD 8.4 {@code struct al_transaction_on_disk}, big-endian):
 * magic, transaction number, CRC-32C, type, up to 64 updates (slot → extent), and a window of 919
 * slots of the whole active set ("context") starting at {@code contextStartSlot}. Unused update slots
 * are 0xffff/0xffffffff, unused context entries 0xffffffff (LC_FREE).
 *
 * <p>The checksum is CRC-32C over the whole block with the field zeroed, seed 0 and no final inversion
 * (the kernel's {@code crc32c(0, buf, 4096)}), stored big-endian.
 */
public record AlTransaction(int trNumber, int type, int[] updateSlots, int[] updateExtents, int contextSize,
        int contextStartSlot, int[] context) {
    public static final int MAGIC = 0x69cb65a2;
    public static final int BYTES = 4096;
    public static final int UPDATES = 64;
    public static final int CONTEXT = 919;
    public static final int TYPE_UPDATE = 0;
    public static final int TYPE_INITIALIZED = 0xffff;
    /** LC_FREE: a slot without an extent. */
    public static final int FREE = -1;
    /** drbd_limits.h DRBD_AL_EXTENTS_MAX. */
    public static final int MAX_EXTENTS = 65534;

    public AlTransaction {
        if (updateSlots.length != updateExtents.length || updateSlots.length > UPDATES) {
            throw new IllegalArgumentException("an AL transaction holds at most " + UPDATES + " updates");
        }
        if (context.length != CONTEXT) {
            throw new IllegalArgumentException("an AL transaction holds " + CONTEXT + " context slots");
        }
    }

    /** What create-md and apply-al write into every block of the ring. */
    public static AlTransaction initialized() {
        int[] context = new int[CONTEXT];
        return new AlTransaction(0, TYPE_INITIALIZED, new int[0], new int[0], 0, 0, context);
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0, MAGIC);
        b.putInt(4, trNumber);
        b.putShort(12, (short) type);
        if (type != TYPE_INITIALIZED) {
            b.putShort(14, (short) updateSlots.length);
            b.putShort(16, (short) contextSize);
            b.putShort(18, (short) contextStartSlot);
            for (int i = 0; i < UPDATES; i++) {
                boolean used = i < updateSlots.length;
                b.putShort(36 + 2 * i, (short) (used ? updateSlots[i] : 0xffff));
                b.putInt(164 + 4 * i, used ? updateExtents[i] : FREE);
            }
            for (int i = 0; i < CONTEXT; i++) {
                b.putInt(420 + 4 * i, context[i]);
            }
        }
        b.putInt(8, crc32c(b));
        return b;
    }

    /** Decodes a block; {@code null} when magic or checksum do not match (never written, or torn). */
    public static AlTransaction decode(ByteBuffer block) {
        ByteBuffer b = block.slice().limit(BYTES).order(ByteOrder.BIG_ENDIAN);
        if (b.getInt(0) != MAGIC) {
            return null;
        }
        ByteBuffer copy = ByteBuffer.allocate(BYTES).put(b.duplicate()).flip();
        copy.putInt(8, 0);
        if (crc32c(copy) != b.getInt(8)) {
            return null;
        }
        int type = b.getShort(12) & 0xffff;
        int n = b.getShort(14) & 0xffff;
        int[] slots = new int[UPDATES];
        int[] extents = new int[UPDATES];
        int used = 0;
        for (int i = 0; i < UPDATES; i++) {
            int slot = b.getShort(36 + 2 * i) & 0xffff;
            // drbdmeta replays an update beyond n_updates unless its slot is 0xffff.
            if (i >= n && slot == 0xffff) {
                continue;
            }
            slots[used] = slot;
            extents[used] = b.getInt(164 + 4 * i);
            used++;
        }
        int[] context = new int[CONTEXT];
        for (int i = 0; i < CONTEXT; i++) {
            context[i] = b.getInt(420 + 4 * i);
        }
        return new AlTransaction(b.getInt(4), type, Arrays.copyOf(slots, used), Arrays.copyOf(extents, used),
                b.getShort(16) & 0xffff, b.getShort(18) & 0xffff, context);
    }

    private static final int CRC_OF_ZEROES;

    static {
        CRC32C c = new CRC32C();
        c.update(new byte[BYTES]);
        CRC_OF_ZEROES = (int) c.getValue();
    }

    /**
     * The kernel's {@code crc32c(0, block, 4096)}. Java's CRC32C starts from ~0 and inverts at the end;
     * CRC is affine in its start value, so the seed-0, non-inverted value is Java's value XOR Java's value
     * for as many zero bytes.
     */
    static int crc32c(ByteBuffer block) {
        CRC32C c = new CRC32C();
        c.update(block.duplicate().position(0).limit(BYTES));
        return (int) c.getValue() ^ CRC_OF_ZEROES;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlTransaction t && t.trNumber == trNumber && t.type == type
                && Arrays.equals(t.updateSlots, updateSlots) && Arrays.equals(t.updateExtents, updateExtents)
                && t.contextSize == contextSize && t.contextStartSlot == contextStartSlot
                && Arrays.equals(t.context, context);
    }

    @Override
    public int hashCode() {
        return trNumber * 31 + Arrays.hashCode(updateExtents);
    }

    @Override
    public String toString() {
        return "AlTransaction[tr " + trNumber + (type == TYPE_INITIALIZED ? ", initialized" : "") + ", updates "
                + Arrays.toString(updateSlots) + " -> " + Arrays.toString(updateExtents) + ", context from "
                + contextStartSlot + " of " + contextSize + "]";
    }
}
