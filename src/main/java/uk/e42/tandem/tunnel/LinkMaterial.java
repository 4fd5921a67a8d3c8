package uk.e42.tandem.tunnel;

/**
 * One generation of what a node shows (its identity) and accepts (its trust). Replaced as a whole
 * when a certificate is renewed or PEM files change, so a handshake never mixes two generations.
 */
record LinkMaterial(long generation, NodeIdentity identity, TrustMaterial trust) {
    String alias() {
        return "tandem-" + generation;
    }
}
