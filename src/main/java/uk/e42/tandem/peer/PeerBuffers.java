package uk.e42.tandem.peer;

import io.netty.buffer.PooledByteBufAllocator;

/**
 * The one pool of Netty buffers every peer link of the daemon uses, both ways (set on each gRPC
 * channel and accepted connection in place of grpc-netty's own).
 *
 * <p>Why not grpc-netty's: Quarkus sets {@code io.netty.allocator.maxOrder=3} at start-up, so Netty's
 * chunks are 64 KiB, and grpc-netty takes that setting for its pool. gRPC frames a message into
 * buffers of up to 1 MiB, so every replicated 1 MiB write was a buffer too large for the pool: a fresh
 * {@code ByteBuffer.allocateDirect} (malloc, then zeroed) per write, freed after the send. Since the
 * writers hand their packets to the link themselves (16 NBD threads per connection), those mallocs ran
 * on many threads, and glibc keeps up to about twice its mmap threshold of freed memory in each
 * thread's own arena: ~1–3 MiB per NBD thread, ~40 MiB of the Primary's RSS (bench/README.md,
 * session 7). Here chunks are {@link #CHUNK_BYTES}, so a 1 MiB message buffer comes out of a pooled
 * chunk and goes back to it; new chunks are rare.
 *
 * <p>One direct arena: the links' buffers share chunks instead of each arena (Netty's default is two
 * per core) growing its own. Only Netty's own threads keep per-thread caches: a writer thread that
 * serializes a packet takes its buffer from the arena, so idle caches do not pile up on the NBD threads.
 */
final class PeerBuffers {

    /** Netty's page (8 KiB) doubled this often is a chunk. */
    static final int CHUNK_ORDER = 9;
    static final int CHUNK_BYTES = PooledByteBufAllocator.defaultPageSize() << CHUNK_ORDER;
    /** The largest buffer gRPC asks for when it frames a message (grpc-netty's NettyWritableBufferAllocator). */
    static final int LARGEST_FRAMING_BUFFER = 1 << 20;

    static final PooledByteBufAllocator ALLOCATOR = newAllocator();

    private PeerBuffers() {
    }

    /** A pool as {@link #ALLOCATOR} is (direct buffers; heap buffers, which the links do not ask for, unpooled). */
    static PooledByteBufAllocator newAllocator() {
        return new PooledByteBufAllocator(true, 0, 1, PooledByteBufAllocator.defaultPageSize(), CHUNK_ORDER,
                PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), false);
    }
}
