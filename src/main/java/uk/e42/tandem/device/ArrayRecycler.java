package uk.e42.tandem.device;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Byte arrays of one size, handed out and given back from any thread, so that a stream of large reads
 * does not allocate (and zero) a new array each: in G1 with the launcher's heap a 1 MiB array is a
 * humongous object that only a GC cycle takes back. At most {@code retained} given-back arrays are kept;
 * more are left to the GC.
 */
final class ArrayRecycler {
    private final int arrayBytes;
    private final ArrayBlockingQueue<byte[]> spare;

    ArrayRecycler(int arrayBytes, int retained) {
        if (arrayBytes <= 0 || retained <= 0) {
            throw new IllegalArgumentException("array bytes " + arrayBytes + " and retained arrays " + retained
                    + " must be positive");
        }
        this.arrayBytes = arrayBytes;
        this.spare = new ArrayBlockingQueue<>(retained);
    }

    /** An array of the recycler's size whose content is whatever its last user left in it. */
    byte[] take() {
        byte[] array = spare.poll();
        return array != null ? array : new byte[arrayBytes];
    }

    /** Gives {@code array} back; its giver must not touch it any more. Arrays of another size are ignored. */
    void giveBack(byte[] array) {
        if (array.length == arrayBytes) {
            spare.offer(array);
        }
    }

    /** Arrays kept for the next {@link #take}. */
    int spare() {
        return spare.size();
    }
}
