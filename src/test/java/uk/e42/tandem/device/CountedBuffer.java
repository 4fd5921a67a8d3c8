package uk.e42.tandem.device;

import java.util.concurrent.atomic.AtomicInteger;

import uk.e42.tandem.peer.InboundBuffer;

/** A received packet's buffer for tests: counts its releases; a second one is a bug and fails. */
final class CountedBuffer implements InboundBuffer {
    private final AtomicInteger releases = new AtomicInteger();

    @Override
    public void release() {
        if (releases.incrementAndGet() > 1) {
            throw new AssertionError("a received packet's buffer was released twice");
        }
    }

    int releases() {
        return releases.get();
    }
}
