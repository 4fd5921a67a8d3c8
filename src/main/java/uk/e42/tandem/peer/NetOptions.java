package uk.e42.tandem.peer;

import java.time.Duration;

/**
 * The drbd.conf {@code net} options that govern one peer connection, as durations.
 *
 * @param connectInt  interval between connect attempts while WFConnection; also how long one
 *                    attempt and one handshake may take
 * @param pingInt     idle time after which a Ping is sent
 * @param pingTimeout how long a PingAck may take
 * @param timeout     how long a send may stay blocked before it counts as expired
 * @param koCount     expired sends tolerated before the peer is declared dead; 0 disables
 * @param sndbufSize  bytes the data stream may hold unsent; 0 = {@link #AUTOTUNE_SNDBUF}
 */
public record NetOptions(Duration connectInt, Duration pingInt, Duration pingTimeout, Duration timeout,
        int koCount, long sndbufSize) {

    /** What sndbuf-size 0 ("autotune") bounds the data stream to. */
    public static final long AUTOTUNE_SNDBUF = 2L << 20;
    /** DRBD's maximum sndbuf-size. */
    public static final long MAX_SNDBUF = 10L << 20;

    public NetOptions {
        requirePositive("connect-int", connectInt);
        requirePositive("ping-int", pingInt);
        requirePositive("ping-timeout", pingTimeout);
        requirePositive("timeout", timeout);
        if (koCount < 0) {
            throw new IllegalArgumentException("ko-count " + koCount + " is negative; use 0 to disable it");
        }
        if (sndbufSize < 0 || sndbufSize > MAX_SNDBUF) {
            throw new IllegalArgumentException("sndbuf-size " + sndbufSize + " is outside 0-" + MAX_SNDBUF
                    + " bytes (0 = autotune, at most 10M)");
        }
    }

    /** DRBD 8.4's defaults: connect-int 10 s, ping-int 10 s, ping-timeout 0.5 s, timeout 6 s, ko-count 7. */
    public static NetOptions drbdDefaults() {
        return fromDrbdUnits(10, 10, 5, 60, 7, 0);
    }

    /**
     * From drbd.conf's numbers in drbd.conf's units.
     *
     * @param connectIntSeconds   connect-int, seconds
     * @param pingIntSeconds      ping-int, seconds
     * @param pingTimeoutTenths   ping-timeout, tenths of a second
     * @param timeoutTenths       timeout, tenths of a second
     * @param koCount             ko-count
     * @param sndbufSize          sndbuf-size, bytes
     */
    public static NetOptions fromDrbdUnits(int connectIntSeconds, int pingIntSeconds, int pingTimeoutTenths,
            int timeoutTenths, int koCount, long sndbufSize) {
        return new NetOptions(Duration.ofSeconds(connectIntSeconds), Duration.ofSeconds(pingIntSeconds),
                Duration.ofMillis(100L * pingTimeoutTenths), Duration.ofMillis(100L * timeoutTenths), koCount,
                sndbufSize);
    }

    /** The bound on unsent bytes of the data stream. */
    public long dataWindowBytes() {
        return sndbufSize == 0 ? AUTOTUNE_SNDBUF : sndbufSize;
    }

    private static void requirePositive(String option, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(option + " must be positive, got " + value);
        }
    }
}
