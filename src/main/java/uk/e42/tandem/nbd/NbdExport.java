package uk.e42.tandem.nbd;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import uk.e42.tandem.disk.BlockStore;

/**
 * One volume offered over NBD under one or more names (the resource's and its device's, e.g.
 * {@code replicated0} and {@code drbd0}). The NBD layer knows nothing of replication: the store does
 * the I/O and {@code writeRefusal} says, at the moment of asking, why writes are refused (a Secondary)
 * or nothing when they are allowed.
 */
public final class NbdExport {
    private final List<String> names;
    private final BlockStore store;
    private final Supplier<Optional<String>> writeRefusal;
    private final boolean multiConn;
    private final BlockSizes blockSizes;
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicLong bytesInFlight = new AtomicLong();

    /**
     * @param multiConn whether a flush on one connection makes every connection's completed writes
     *                  durable and visible (true for a store without private per-connection caches)
     */
    public NbdExport(List<String> names, BlockStore store, Supplier<Optional<String>> writeRefusal, boolean multiConn,
            BlockSizes blockSizes) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("an NBD export needs at least one name");
        }
        if (new HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("NBD export names " + names + " repeat a name");
        }
        for (String name : names) {
            if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > Nbd.MAX_STRING || name.indexOf(0) >= 0) {
                throw new IllegalArgumentException("NBD export name '" + name
                        + "' must be 1 to 4096 bytes of UTF-8 without NUL");
            }
        }
        this.names = List.copyOf(names);
        this.store = store;
        this.writeRefusal = writeRefusal;
        this.multiConn = multiConn;
        this.blockSizes = blockSizes;
    }

    /** An always-writable export whose block sizes follow the store's size. */
    public static NbdExport writable(List<String> names, BlockStore store) {
        return new NbdExport(names, store, Optional::empty, true, BlockSizes.forSize(store.size()));
    }

    public List<String> names() {
        return names;
    }

    public String name() {
        return names.get(0);
    }

    public BlockStore store() {
        return store;
    }

    public long size() {
        return store.size();
    }

    /** Why writes are refused right now, or empty when they are allowed. */
    public Optional<String> writeRefusal() {
        return writeRefusal.get();
    }

    public boolean multiConn() {
        return multiConn;
    }

    public BlockSizes blockSizes() {
        return blockSizes;
    }

    /**
     * Clients in the transmission phase on this export. DRBD refuses {@code secondary} while the device
     * is held open; this is how the node tells.
     */
    public int clients() {
        return clients.get();
    }

    /** Request payload and read data held for this export's requests not yet answered, over all clients. */
    public long bytesInFlight() {
        return bytesInFlight.get();
    }

    void bytesInFlight(long delta) {
        bytesInFlight.addAndGet(delta);
    }

    void clientAttached() {
        clients.incrementAndGet();
    }

    void clientDetached() {
        clients.decrementAndGet();
    }
}
