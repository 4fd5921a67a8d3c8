package uk.e42.tandem.tunnel;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** What this node proves itself with: its private key and its certificate chain (leaf first). */
public record NodeIdentity(PrivateKey privateKey, X509Certificate[] chain) {
    public NodeIdentity {
        if (chain.length == 0) {
            throw new IllegalArgumentException("a node identity needs at least its own certificate");
        }
        chain = chain.clone();
    }

    @Override
    public X509Certificate[] chain() {
        return chain.clone();
    }

    public X509Certificate certificate() {
        return chain[0];
    }
}
