package uk.e42.tandem.tunnel;

import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CA certificates a peer's chain must lead to, and how to name them in a refusal:
 * "this cluster's key" (static-key mode) or "the CA in /etc/tandem/ca.crt" (PEM mode).
 */
public record TrustMaterial(List<X509Certificate> authorities, String issuerName) {
    public TrustMaterial {
        if (authorities.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate to trust (" + issuerName + ")");
        }
        authorities = List.copyOf(authorities);
    }

    Set<TrustAnchor> anchors() {
        return authorities.stream().map(ca -> new TrustAnchor(ca, null)).collect(Collectors.toSet());
    }
}
