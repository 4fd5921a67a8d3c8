package uk.e42.tandem.meta;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import uk.e42.tandem.disk.BlockStore;

/**
 * One volume's meta data at run time: superblock, bitmap and activity log on a {@link BlockStore},
 * kept in the update order that survives a crash (kill -9 or power loss between any two writes):
 * <ol>
 *   <li>attach: replay the activity log of a crashed Primary into the bitmap and persist those pages,
 *       then re-initialise the ring, then mark the superblock "unclean" (the kernel's magic 0x8374026c,
 *       AL_CLEAN cleared). Until the last step the old superblock still asks for the same replay.</li>
 *   <li>a write to a cold extent: bitmap pages of evicted extents, flush, the AL transaction, flush; only
 *       then may the data write go out ({@link #alBeginIo}).</li>
 *   <li>generation UUIDs and flags: one 4 KiB superblock write, flushed before the call returns.</li>
 *   <li>detach: dirty bitmap pages, flush, then the clean superblock.</li>
 * </ol>
 * Every on-disk unit is a single aligned 4 KiB write, so a crash leaves either the old or the new block.
 *
 * <p>Thread-safe: one lock orders all meta data I/O of the volume. Owns the store it was opened on.
 */
public final class MetaData implements Closeable {
    private final LongAdder alWrites = new LongAdder();
    private final LongAdder bmWrites = new LongAdder();
    private final BlockStore store;
    /** Changed only by {@link #resize} (internal meta data moves to the new end of its device). */
    private volatile MetaLayout layout;
    private final Bitmap bitmap;
    /** The volume's size; changed only by {@link #resize}. */
    private volatile long usableSectors;
    /** Internal meta data found where it was placed for a smaller device; emptied by {@link #moveToEnd}. */
    private volatile Optional<FormerPlace> formerPlace;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition alSlotFreed = lock.newCondition();
    private Superblock superblock;
    private ActivityLog activityLog;

    private MetaData(BlockStore store, MetaLayout layout, Superblock superblock, long usableSectors,
            Optional<FormerPlace> formerPlace) {
        this.store = store;
        this.formerPlace = formerPlace;
        this.usableSectors = usableSectors;
        this.layout = layout;
        this.superblock = superblock;
        this.bitmap = Bitmap.forBytes(usableSectors * 512);
    }

    /**
     * Where internal meta data was found when it was not at the end of its device: at its place for a
     * device of {@code deviceBytes}, because a resize stopped before the move was done
     * ({@code interruptedResize}, see {@link InternalMove}) or because the device grew while the
     * resource was down and the last known size says where the meta data is (DRBD's check-resize).
     */
    public record FormerPlace(long deviceBytes, boolean interruptedResize) {
    }

    /** {@link #open(BlockStore, MetaDisk, long, Optional)} without a last known size. */
    public static MetaData open(BlockStore store, MetaDisk metaDisk, long backingBytes) throws IOException {
        return open(store, metaDisk, backingBytes, Optional.empty());
    }

    /**
     * Reads and checks the superblock at {@code metaDisk}'s place on {@code store} and loads the bitmap for
     * a backing disk of {@code backingBytes}. Writes nothing. The volume's size is the agreed size the
     * superblock records (la-size-sect, which {@link #resize} keeps), or all the backing disk offers when
     * none is recorded (fresh meta data). Internal meta data that is not at the end of the device is read
     * at its former place ({@link #formerPlace()}): the one an interrupted resize recorded there, else the
     * one for {@code lastKnown}'s size when valid meta data is there and its device UUID matches.
     *
     * @throws MetaDataException no valid v08 meta data there, a layout that does not fit, or a backing disk
     *     smaller than the size the meta data recorded
     */
    public static MetaData open(BlockStore store, MetaDisk metaDisk, long backingBytes,
            Optional<LastKnownBackingDevice> lastKnown) throws IOException {
        long deviceBytes = store.size();
        ByteBuffer block = readBlock(store, MetaLayout.superblockOffset(metaDisk, deviceBytes));
        Optional<InternalMove> move = metaDisk instanceof MetaDisk.Internal ? InternalMove.decode(block)
                : Optional.empty();
        Optional<FormerPlace> former = Optional.empty();
        if (move.isPresent()) {
            deviceBytes = move.get().oldDeviceBytes();
            if (deviceBytes <= 0 || deviceBytes > store.size()) {
                throw new MetaDataException(store.describe() + ": an unfinished resize names a former device size of "
                        + deviceBytes + " bytes, but the device has " + store.size() + " bytes; its meta data cannot"
                        + " be found. Restore it from a dump-md (restore-md), or create-md anew.");
            }
            block = readBlock(store, MetaLayout.superblockOffset(metaDisk, deviceBytes));
            former = Optional.of(new FormerPlace(deviceBytes, true));
        }
        Superblock sb = Superblock.decode(block);
        MetaLayout layout;
        try {
            layout = MetaLayout.of(sb, metaDisk, deviceBytes);
        } catch (MetaDataException notHere) {
            if (move.isPresent() || !(metaDisk instanceof MetaDisk.Internal) || lastKnown.isEmpty()) {
                throw notHere;
            }
            LastKnownBackingDevice known = lastKnown.get();
            deviceBytes = known.sizeBytes();
            sb = atLastKnownSize(store, metaDisk, known, notHere);
            layout = MetaLayout.of(sb, metaDisk, deviceBytes);
            former = Optional.of(new FormerPlace(deviceBytes, false));
        }
        long usable = layout.usableSectors(backingBytes);
        if (sb.laSizeSect() > usable) {
            throw new MetaDataException("the meta data on " + store.describe() + " (meta-disk " + metaDisk
                    + ") records an agreed size of " + sb.laSizeSect() + " sectors (la-size-sect), but the backing"
                    + " device offers only " + usable + " sectors (" + backingBytes + " bytes). Was the backing"
                    + " device shrunk? Restore its size; nothing was written.");
        }
        MetaData md = new MetaData(store, layout, sb, sb.laSizeSect() != 0 ? sb.laSizeSect() : usable, former);
        md.loadBitmap();
        return md;
    }

    /**
     * drbdmeta's v08_check_for_resize: the superblock where internal meta data sat on the device at its
     * last known size, if valid meta data of the same device UUID is there.
     */
    private static Superblock atLastKnownSize(BlockStore store, MetaDisk metaDisk, LastKnownBackingDevice known,
            MetaDataException notHere) throws IOException {
        String tried = notHere.getMessage() + " Nor was it found at its place for the last known size of "
                + store.describe() + ", " + known.sizeBytes() + " bytes";
        if (known.sizeBytes() == store.size()) {
            throw new MetaDataException(tried + " (the device has that size now).", notHere);
        }
        if (known.sizeBytes() > store.size()) {
            throw new MetaDataException(tried + ": the device shrank to " + store.size() + " bytes since. Restore its"
                    + " size.", notHere);
        }
        Superblock sb = Superblock.decode(readBlock(store, MetaLayout.superblockOffset(metaDisk, known.sizeBytes())));
        try {
            MetaLayout.of(sb, metaDisk, known.sizeBytes());
        } catch (MetaDataException none) {
            throw new MetaDataException(tried + ": " + none.getMessage(), notHere);
        }
        if (known.deviceUuid() != 0 && sb.deviceUuid() != known.deviceUuid()) {
            throw new MetaDataException(tried + String.format(": the meta data there has device UUID %016X, the last"
                    + " known record %016X (Last known and found uuid differ!?); it belongs to another device.",
                    sb.deviceUuid(), known.deviceUuid()), notHere);
        }
        return sb;
    }

    /** The superblock at {@code metaDisk}'s place, unchecked. */
    static Superblock readSuperblock(BlockStore store, MetaDisk metaDisk) throws IOException {
        return Superblock.decode(readBlock(store, MetaLayout.superblockOffset(metaDisk, store.size())));
    }

    private static ByteBuffer readBlock(BlockStore store, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE);
        store.read(offset, b);
        return b.flip();
    }

    /**
     * Found at open: the internal meta data is not at the end of its device but where it was placed for a
     * smaller one; {@link #moveToEnd} moves it. Empty once it is at the end.
     */
    public Optional<FormerPlace> formerPlace() {
        return formerPlace;
    }

    private void loadBitmap() throws IOException {
        int chunkPages = 256;
        ByteBuffer chunk = ByteBuffer.allocate(chunkPages * Bitmap.PAGE_BYTES);
        for (int first = 0; first < bitmap.pageCount(); first += chunkPages) {
            int n = Math.min(chunkPages, bitmap.pageCount() - first);
            chunk.clear().limit(n * Bitmap.PAGE_BYTES);
            store.read(layout.bmOffset() + (long) first * Bitmap.PAGE_BYTES, chunk);
            for (int p = 0; p < n; p++) {
                bitmap.loadPage(first + p, chunk.duplicate().position(p * Bitmap.PAGE_BYTES));
            }
        }
    }

    public MetaLayout layout() {
        return layout;
    }

    public Superblock superblock() {
        lock.lock();
        try {
            return superblock;
        } finally {
            lock.unlock();
        }
    }

    public GenerationUuids uuids() {
        return superblock().uuids();
    }

    /** The volume's size in sectors (the bitmap covers exactly this). */
    public long usableSectors() {
        return usableSectors;
    }

    /**
     * The bitmap. Change it through {@link #markOutOfSync}/{@link #markInSync} (which take the lock); reading
     * it (resync planning, the bitmap exchange) is for the resource's owner.
     */
    public Bitmap bitmap() {
        return bitmap;
    }

    public boolean attached() {
        lock.lock();
        try {
            return activityLog != null;
        } finally {
            lock.unlock();
        }
    }

    /** What attaching found and did. */
    public record AttachReport(boolean wasClean, boolean replayedActivityLog, Set<Integer> replayedExtents,
            long bitsMarked, boolean fullSync, boolean crashedPrimary) {
        /** drbdmeta's message for the replay. */
        public String describe() {
            if (!replayedActivityLog) {
                return wasClean ? "meta data clean" : "meta data unclean, not Primary: nothing to apply";
            }
            return "Marked additional " + (bitsMarked * 4) + " KB as out-of-sync based on AL ("
                    + replayedExtents.size() + " extents).";
        }
    }

    /**
     * Starts using the meta data for I/O with an activity log of {@code alExtents} slots. If the node went
     * down unclean while Primary, the replayed activity log marks its extents out of sync first (drbdmeta
     * apply-al); if a full sync was being set up, every bit is set.
     *
     * @throws MetaDataException when the activity log of a crashed Primary cannot be read: attaching would
     *     hide blocks that may differ from the peer
     */
    public AttachReport attach(int alExtents) throws IOException {
        lock.lock();
        try {
            if (activityLog != null) {
                throw new IllegalStateException(store.describe() + ": meta data already attached");
            }
            boolean wasClean = superblock.isClean();
            boolean primary = superblock.has(MdFlags.PRIMARY_IND);
            Set<Integer> extents = Set.of();
            long marked = 0;
            boolean replayed = false;
            if (!wasClean && primary) {
                ActivityLog.Replay replay = ActivityLog.replay(readRing());
                if (!replay.usable()) {
                    throw new MetaDataException(store.describe() + ": the node was Primary when it went down, but its"
                            + " activity log cannot be replayed: " + replay.problem() + ". Blocks written just before"
                            + " the crash are unknown; resolve with 'invalidate' on this node (full sync from the"
                            + " peer) after checking which node has the good data.");
                }
                extents = replay.hotExtents();
                marked = ActivityLog.apply(extents, bitmap);
                replayed = true;
            }
            boolean fullSync = superblock.has(MdFlags.FULL_SYNC);
            if (fullSync) {
                bitmap.setAll();
            }
            writeDirtyPagesLocked();
            ActivityLog al = new ActivityLog(alExtents, 0);
            for (int i = 0; i < layout.alBlocks(); i++) {
                AlTransaction tr = al.contextOnly();
                writeAlBlock(tr);
                al.commit(tr, 1, 0);
            }
            store.flush();
            boolean crashed = !wasClean && primary || superblock.has(MdFlags.CRASHED_PRIMARY);
            Superblock next = superblock.withAlNrExtents(alExtents).withFlag(MdFlags.FULL_SYNC, false)
                    .withFlag(MdFlags.CRASHED_PRIMARY, crashed);
            activityLog = al;
            writeSuperblockLocked(next);
            return new AttachReport(wasClean, replayed, extents, marked, fullSync, crashed);
        } finally {
            lock.unlock();
        }
    }

    private List<AlTransaction> readRing() throws IOException {
        int n = layout.alBlocks();
        ByteBuffer all = ByteBuffer.allocate(n * AlTransaction.BYTES);
        store.read(layout.alOffset(), all);
        List<AlTransaction> ring = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            int block = ActivityLog.ringBlock(t, layout.alStripes(), layout.alStripeSize4k());
            ring.add(AlTransaction.decode(all.duplicate().position(block * AlTransaction.BYTES)));
        }
        return ring;
    }

    /** Activity-log transactions written (/proc/drbd's {@code al:}). */
    public long alWrites() {
        return alWrites.sum();
    }

    /** Bitmap pages written (/proc/drbd's {@code bm:}). */
    public long bmWrites() {
        return bmWrites.sum();
    }

    private void writeAlBlock(AlTransaction tr) throws IOException {
        alWrites.increment();
        int block = ActivityLog.ringBlock(tr.trNumber() & 0xffffffffL, layout.alStripes(), layout.alStripeSize4k());
        store.write(layout.alOffset() + (long) block * AlTransaction.BYTES, tr.encode());
    }

    /**
     * Before a write of {@code length} bytes at {@code offset} may go to the backing disk: makes its extents
     * hot, writing (and flushing) an AL transaction if one of them was cold. Waits while the active set is
     * full of extents with writes in flight. Pair with {@link #alCompleteIo}.
     */
    public void alBeginIo(long offset, long length) throws IOException, InterruptedException {
        int first = ActivityLog.firstExtent(offset);
        int last = ActivityLog.lastExtent(offset, length);
        lock.lock();
        try {
            ActivityLog al = requireAttached();
            while (true) {
                ActivityLog.Begin begin = al.begin(first, last);
                if (begin.busy()) {
                    alSlotFreed.await();
                    continue;
                }
                if (begin.transaction() != null) {
                    // Bits of an extent leaving the set are covered by nothing else after a crash: persist them first.
                    writeExtentPagesLocked(begin.evicted());
                    writeAlBlock(begin.transaction());
                    store.flush();
                    al.commit(begin.transaction(), first, last);
                }
                return;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The write begun with {@link #alBeginIo} completed (successfully or not). */
    public void alCompleteIo(long offset, long length) {
        lock.lock();
        try {
            requireAttached().complete(ActivityLog.firstExtent(offset), ActivityLog.lastExtent(offset, length));
            alSlotFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The extents currently in the activity log. */
    public Set<Integer> hotExtents() {
        lock.lock();
        try {
            return activityLog == null ? Set.of() : activityLog.hotExtents();
        } finally {
            lock.unlock();
        }
    }

    public long markOutOfSync(long offset, long length) {
        lock.lock();
        try {
            return bitmap.markOutOfSync(offset, length);
        } finally {
            lock.unlock();
        }
    }

    public long markInSync(long offset, long length) {
        lock.lock();
        try {
            return bitmap.markInSync(offset, length);
        } finally {
            lock.unlock();
        }
    }

    /** Persists every changed bitmap page and flushes. */
    public void writeDirtyBitmapPages() throws IOException {
        lock.lock();
        try {
            writeDirtyPagesLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Persists the whole bitmap (after a full sync was set up, or a bitmap exchange). */
    public void writeWholeBitmap() throws IOException {
        lock.lock();
        try {
            bitmap.markAllDirty();
            writeDirtyPagesLocked();
        } finally {
            lock.unlock();
        }
    }

    private void writeDirtyPagesLocked() throws IOException {
        int[] pages = bitmap.dirtyPages();
        for (int page : pages) {
            writePage(page);
        }
        if (pages.length > 0) {
            store.flush();
        }
    }

    private void writeExtentPagesLocked(List<Integer> extents) throws IOException {
        Set<Integer> pages = new TreeSet<>();
        for (int e : extents) {
            long bit = (e & 0xffffffffL) * ActivityLog.BITS_PER_EXTENT;
            if (bit < bitmap.bits()) {
                pages.add((int) (bit / Bitmap.PAGE_BITS));
            }
        }
        boolean wrote = false;
        for (int page : pages) {
            if (bitmap.isDirty(page)) {
                writePage(page);
                wrote = true;
            }
        }
        if (wrote) {
            store.flush();
        }
    }

    private void writePage(int page) throws IOException {
        writePage(layout, bitmap, page);
    }

    private void writePage(MetaLayout where, Bitmap from, int page) throws IOException {
        bmWrites.increment();
        store.write(where.bmOffset() + (long) page * Bitmap.PAGE_BYTES, from.pageBytes(page));
        from.markClean(page);
    }

    /**
     * The size the volume could have on a backing device of {@code backingBytes}, in sectors, with the meta
     * data where it will be then: internal meta data at the end of the grown device, external meta data
     * limited by what its bitmap area can track (DRBD's {@code drbd_get_max_capacity}).
     *
     * @throws MetaDataException the device is smaller than the one the internal meta data was placed for, or
     *     grew too little to hold the moved meta data clear of the old one: {@link #resize} would be refused
     */
    public long capacitySectors(long backingBytes) throws MetaDataException {
        MetaLayout l = layout;
        if (!l.internal()) {
            return l.usableSectors(backingBytes);
        }
        if (backingBytes < l.metaDeviceBytes()) {
            throw new MetaDataException(store.describe() + " shrank from " + l.metaDeviceBytes() + " to " + backingBytes
                    + " bytes under its internal meta data, which sits at its old end. Restore the device's size;"
                    + " Tandem shrinks only with resize --size, before the device is made smaller.");
        }
        return placeFor(backingBytes).maxUsableSectors();
    }

    /** What {@link #resize} did. */
    public record Resized(long oldSectors, long newSectors, long bitsSet, boolean moved) {
    }

    /**
     * The volume gets {@code newSectors} on a backing device that now has {@code backingBytes} (DRBD's
     * {@code drbd_determine_dev_size}): the bitmap keeps its bits, loses those past a smaller end and marks
     * a grown area out of sync when {@code setNewBits}; the agreed size goes into the superblock
     * (la-size-sect). The new bitmap is built aside and replaces the one in memory only once the
     * superblock that matches it is durable, so a resize that fails leaves memory and disk at the old size.
     * The order on disk survives a crash at any point:
     * <ul>
     *   <li>Internal meta data on a grown device moves to its new end: an {@link InternalMove} record at
     *       the new superblock's place first, then the bitmap and a copy of the activity log ring at their
     *       new places, flushed, and last the new superblock, one 4 KiB write that replaces the record.
     *       Until then the old meta data, which nothing here touches, is the valid one.</li>
     *   <li>Growing in place: the bitmap first (bits past the old end are ignored while the superblock
     *       still records it), then the superblock.</li>
     *   <li>Shrinking in place: the superblock first. The bitmap area is shared by both sizes, and zeroing
     *       the bits past the new end before the smaller size is durable would leave, after a crash, the old
     *       size with blocks out of sync that no bit marks; the other way round a crash leaves the new size
     *       and stale bits past its end, which nothing reads.</li>
     * </ul>
     * The caller holds I/O and resync still.
     *
     * @throws MetaDataException {@code newSectors} does not fit, or the grown part of the device is too
     *     small to hold the moved meta data clear of the old one; nothing was written
     * @throws IOException a write failed; the volume keeps the old size unless {@link #usableSectors()} says
     *     {@code newSectors} (a shrink whose superblock was durable, with bitmap pages left to write)
     */
    public Resized resize(long backingBytes, long newSectors, boolean setNewBits) throws IOException {
        lock.lock();
        try {
            long capacity = capacitySectors(backingBytes);
            if (newSectors <= 0 || newSectors > capacity) {
                throw new MetaDataException(store.describe() + ": a volume of " + newSectors + " sectors does not fit;"
                        + " with meta-disk " + layout.metaDisk() + " a backing device of " + backingBytes
                        + " bytes holds at most " + capacity + " sectors");
            }
            MetaLayout from = layout;
            MetaLayout to = placeFor(backingBytes);
            boolean moving = to != from;
            long oldSectors = usableSectors;
            Bitmap next = bitmap.resized(newSectors << 9, setNewBits);
            long added = newSectors > oldSectors ? next.cardinality() - bitmap.cardinality() : 0;
            Superblock resized = superblock.withLaSizeSect(newSectors).withLayout(to);
            if (!moving && newSectors < oldSectors) {
                writeSuperblockLocked(to, resized);
                bitmap.adopt(next);
                usableSectors = newSectors;
                writeBitmapArea(to, capacity);
                return new Resized(oldSectors, newSectors, 0, false);
            }
            if (moving) {
                // From here until the new superblock is written, the record says where the valid meta data is.
                store.write(to.mdOffset(), new InternalMove(from.metaDeviceBytes()).encode());
                store.flush();
            }
            for (int page = 0; page < next.pageCount(); page++) {
                writePage(to, next, page);
            }
            if (moving) {
                ByteBuffer ring = ByteBuffer.allocate((int) from.alBytes());
                store.read(from.alOffset(), ring);
                store.write(to.alOffset(), ring.flip());
            }
            zeroBehindBitmap(to, next, capacity);
            store.flush();
            writeSuperblockLocked(to, resized);
            layout = to;
            bitmap.adopt(next);
            usableSectors = newSectors;
            return new Resized(oldSectors, newSectors, added, moving);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Internal meta data found at its {@link #formerPlace()} moves to the end of the device it is on now,
     * as drbdmeta's check-resize moves it: the volume keeps its size and its bits (the grown space is not
     * used before a resize or a connect agrees on it). The move is {@link #resize}'s, so a crash at any
     * point leaves the old or the new meta data findable; once the new superblock is durable the old one,
     * now inside the data area, is wiped, so that a device shrunk back by mistake does not find stale meta
     * data there.
     *
     * @throws MetaDataException the device grew too little to hold the moved meta data clear of the old one
     */
    public Resized moveToEnd() throws IOException {
        lock.lock();
        try {
            if (formerPlace.isEmpty()) {
                throw new IllegalStateException(store.describe() + ": the meta data is at the end of its device");
            }
            long superseded = layout.mdOffset();
            Resized moved = resize(store.size(), usableSectors, false);
            store.write(superseded, ByteBuffer.allocate(Superblock.SIZE));
            store.flush();
            formerPlace = Optional.empty();
            return moved;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Where the meta data will be on a backing device of {@code backingBytes}: internal meta data moves to
     * the end of a grown device, clear of its old place; anything else stays.
     *
     * @throws MetaDataException the device grew too little to hold the moved meta data clear of the old one
     */
    private MetaLayout placeFor(long backingBytes) throws MetaDataException {
        MetaLayout from = layout;
        if (!from.internal() || backingBytes <= from.metaDeviceBytes()) {
            return from;
        }
        MetaLayout to = MetaLayout.forCreate(from.metaDisk(), backingBytes, from.alStripes(), from.alStripeSize4k());
        long oldEnd = from.mdOffset() + Superblock.SIZE;
        if (to.bmOffset() < oldEnd) {
            throw new MetaDataException(store.describe() + " grew by " + (backingBytes - from.metaDeviceBytes())
                    + " bytes, too little to move its internal meta data (" + (to.metaDeviceBytes() - to.bmOffset())
                    + " bytes) to the new end without overwriting the old meta data; grow the backing device by at"
                    + " least " + (oldEnd - to.bmOffset()) + " bytes more and try again");
        }
        return to;
    }

    /** The whole bitmap at {@code where}, and zeroes behind it, flushed. */
    private void writeBitmapArea(MetaLayout where, long capacity) throws IOException {
        for (int page = 0; page < bitmap.pageCount(); page++) {
            writePage(where, bitmap, page);
        }
        zeroBehindBitmap(where, bitmap, capacity);
        store.flush();
    }

    /** What lies behind the bitmap in its area must read as zero bits (drbdmeta dumps up to the capacity). */
    private void zeroBehindBitmap(MetaLayout where, Bitmap written, long capacity) throws IOException {
        long bytes = (long) written.pageCount() * Bitmap.PAGE_BYTES;
        long dumped = Math.min(where.bitmapAreaBytes(), MetaLayout.bitmapBytes(capacity));
        if (dumped > bytes) {
            store.writeZeroes(where.bmOffset() + bytes, dumped - bytes);
        }
    }

    /**
     * Changes the superblock (generation UUIDs, flags, la-size) and writes it at once, flushed, as DRBD's
     * {@code drbd_md_sync}. While attached the magic stays "unclean" and AL_CLEAN clear.
     */
    public Superblock updateSuperblock(UnaryOperator<Superblock> change) throws IOException {
        lock.lock();
        try {
            writeSuperblockLocked(change.apply(superblock));
            return superblock;
        } finally {
            lock.unlock();
        }
    }

    public Superblock setUuids(GenerationUuids uuids) throws IOException {
        return updateSuperblock(sb -> sb.withUuids(uuids));
    }

    private void writeSuperblockLocked(Superblock next) throws IOException {
        writeSuperblockLocked(layout, next);
    }

    private void writeSuperblockLocked(MetaLayout where, Superblock next) throws IOException {
        Superblock toWrite = activityLog != null
                ? next.withMagic(Superblock.MAGIC_84_UNCLEAN).withFlag(MdFlags.AL_CLEAN, false) : next;
        store.write(where.mdOffset(), toWrite.encode());
        store.flush();
        superblock = toWrite;
    }

    /** Stops I/O cleanly: all bitmap pages on disk, then a clean superblock (magic v08, AL_CLEAN). */
    public void detach() throws IOException {
        lock.lock();
        try {
            requireAttached();
            writeDirtyPagesLocked();
            activityLog = null;
            writeSuperblockLocked(superblock.withMagic(Superblock.MAGIC_V08).withFlag(MdFlags.AL_CLEAN, true));
        } finally {
            lock.unlock();
        }
    }

    private ActivityLog requireAttached() {
        if (activityLog == null) {
            throw new IllegalStateException(store.describe() + ": meta data not attached");
        }
        return activityLog;
    }

    /** Closes the store; an attached volume stays unclean on disk, as after a crash. */
    @Override
    public void close() throws IOException {
        store.close();
    }
}
