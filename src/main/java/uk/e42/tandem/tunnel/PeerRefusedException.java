package uk.e42.tandem.tunnel;

import java.security.cert.CertificateException;

/**
 * A peer's certificate was refused. The message is the reason, worded for an operator's log:
 * "peer certificate not issued by this cluster's key", "peer certificate is for node X, expected Y".
 * It is a {@link CertificateException} because the TLS stack turns exactly those into an alert
 * and keeps them as the cause of its {@code SSLHandshakeException}.
 */
public final class PeerRefusedException extends CertificateException {
    private static final long serialVersionUID = 1L;

    public PeerRefusedException(String reason) {
        super(reason);
    }

    public PeerRefusedException(String reason, Throwable cause) {
        super(reason, cause);
    }

    public String reason() {
        return getMessage();
    }
}
