package uk.e42.tandem.config;

import java.time.Duration;
import java.util.Optional;

/** The effective {@code net} options, with DRBD 8.4's defaults. */
public final class NetConfig extends TypedOptions {

    NetConfig(Options options) {
        super(options);
    }

    /** 'A', 'B' or 'C'. */
    public char protocol() {
        return text("protocol").charAt(0);
    }

    public Optional<String> sharedSecret() {
        return optionalText("shared-secret");
    }

    public Optional<String> cramHmacAlg() {
        return optionalText("cram-hmac-alg");
    }

    public String afterSb0pri() {
        return text("after-sb-0pri");
    }

    public String afterSb1pri() {
        return text("after-sb-1pri");
    }

    public String afterSb2pri() {
        return text("after-sb-2pri");
    }

    public String rrConflict() {
        return text("rr-conflict");
    }

    public Optional<String> csumsAlg() {
        return optionalText("csums-alg");
    }

    public Optional<String> verifyAlg() {
        return optionalText("verify-alg");
    }

    public Optional<String> dataIntegrityAlg() {
        return optionalText("data-integrity-alg");
    }

    /** Bytes; 0 means the kernel's automatic sizing. */
    public long sndbufSize() {
        return number("sndbuf-size");
    }

    public long rcvbufSize() {
        return number("rcvbuf-size");
    }

    /** {@code timeout} is in tenths of a second. */
    public Duration timeout() {
        return Duration.ofMillis(100 * number("timeout"));
    }

    public Duration pingInt() {
        return Duration.ofSeconds(number("ping-int"));
    }

    /** {@code ping-timeout} is in tenths of a second. */
    public Duration pingTimeout() {
        return Duration.ofMillis(100 * number("ping-timeout"));
    }

    public Duration connectInt() {
        return Duration.ofSeconds(number("connect-int"));
    }

    public int koCount() {
        return (int) number("ko-count");
    }

    public int maxBuffers() {
        return (int) number("max-buffers");
    }

    public int maxEpochSize() {
        return (int) number("max-epoch-size");
    }

    public boolean allowTwoPrimaries() {
        return flag("allow-two-primaries");
    }

    public boolean alwaysAsbp() {
        return flag("always-asbp");
    }

    public boolean useRle() {
        return flag("use-rle");
    }

    public boolean tcpCork() {
        return flag("tcp-cork");
    }

    public String onCongestion() {
        return text("on-congestion");
    }
}
