package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ArrayRecyclerTest {

    @Test
    void aGivenBackArrayIsHandedOutAgain() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        byte[] first = recycler.take();
        assertEquals(4096, first.length);
        recycler.giveBack(first);
        assertSame(first, recycler.take());
        assertEquals(0, recycler.spare());
    }

    @Test
    void arraysInUseAreNeverHandedOutTwice() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        byte[] first = recycler.take();
        byte[] second = recycler.take();
        assertNotSame(first, second);
    }

    @Test
    void keepsAtMostTheRetainedNumber() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        byte[] a = recycler.take();
        byte[] b = recycler.take();
        byte[] c = recycler.take();
        recycler.giveBack(a);
        recycler.giveBack(b);
        recycler.giveBack(c);
        assertEquals(2, recycler.spare());
        assertSame(a, recycler.take());
        assertSame(b, recycler.take());
        assertNotSame(c, recycler.take());
    }

    @Test
    void anArrayOfAnotherSizeIsNotKept() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        recycler.giveBack(new byte[512]);
        assertEquals(0, recycler.spare());
    }

    @Test
    void refusesNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> new ArrayRecycler(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ArrayRecycler(4096, 0));
    }
}
