package uk.e42.tandem.device;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Byte arrays of one size, lent out and given back from any thread, so that a stream of large reads
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
    Loan take() {
        byte[] array = spare.poll();
        return new Loan(array != null ? array : new byte[arrayBytes]);
    }

    /** Arrays kept for the next {@link #take}. */
    int spare() {
        return spare.size();
    }

    /**
     * One array out of the recycler. It goes back once, however many of its holders give it back (a packet
     * the link dropped while its sender also saw the send fail, say): an array kept twice would be lent to
     * two readers at once.
     */
    final class Loan {
        private final byte[] array;
        private final AtomicBoolean back = new AtomicBoolean();

        private Loan(byte[] array) {
            this.array = array;
        }

        byte[] array() {
            return array;
        }

        /** Its holders must not touch the array any more. */
        void giveBack() {
            if (back.compareAndSet(false, true)) {
                spare.offer(array);
            }
        }
    }
}
