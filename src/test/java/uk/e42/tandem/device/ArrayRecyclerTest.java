package uk.e42.tandem.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ArrayRecyclerTest {

    @Test
    void aGivenBackArrayIsLentAgain() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        ArrayRecycler.Loan first = recycler.take();
        assertEquals(4096, first.array().length);
        first.giveBack();
        assertSame(first.array(), recycler.take().array());
        assertEquals(0, recycler.spare());
    }

    @Test
    void arraysInUseAreNeverLentTwice() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        assertNotSame(recycler.take().array(), recycler.take().array());
    }

    @Test
    void aLoanGivenBackTwiceIsKeptOnce() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        ArrayRecycler.Loan loan = recycler.take();
        loan.giveBack();
        loan.giveBack();
        assertEquals(1, recycler.spare());
        assertSame(loan.array(), recycler.take().array());
        assertNotSame(loan.array(), recycler.take().array());
    }

    @Test
    void keepsAtMostTheRetainedNumber() {
        ArrayRecycler recycler = new ArrayRecycler(4096, 2);
        ArrayRecycler.Loan a = recycler.take();
        ArrayRecycler.Loan b = recycler.take();
        ArrayRecycler.Loan c = recycler.take();
        a.giveBack();
        b.giveBack();
        c.giveBack();
        assertEquals(2, recycler.spare());
        assertSame(a.array(), recycler.take().array());
        assertSame(b.array(), recycler.take().array());
        assertNotSame(c.array(), recycler.take().array());
    }

    @Test
    void refusesNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> new ArrayRecycler(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ArrayRecycler(4096, 0));
    }
}
