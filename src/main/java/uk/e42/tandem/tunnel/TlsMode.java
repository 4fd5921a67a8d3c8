package uk.e42.tandem.tunnel;

/** {@code tandem.tls.mode}: how peer links (and a non-local admin API) are secured. */
public enum TlsMode {
    /** mTLS from one shared OpenVPN-format key file ({@code tandem.tls.key-file}); the default. */
    STATIC_KEY,
    /** mTLS from PEM files (CA, certificate, private key), e.g. a cert-manager Secret; reloaded on change. */
    PEM,
    /** No TLS: only for links already inside a VPN. Warned about at start. */
    PLAINTEXT
}
