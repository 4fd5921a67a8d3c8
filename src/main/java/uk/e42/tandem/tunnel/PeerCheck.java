package uk.e42.tandem.tunnel;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Decides whether a certificate chain may speak for a node: issued by our CA, valid now, allowed
 * for its TLS role, and naming a node we expect. Each refusal says which of these failed, in that
 * order, so a stranger's certificate is reported as a stranger's even when it has expired too.
 */
public final class PeerCheck {
    /** What the certificate is used for in this handshake; the chain's extended key usage must allow it. */
    public enum Role {
        SERVER("1.3.6.1.5.5.7.3.1", "TLS server"),
        CLIENT("1.3.6.1.5.5.7.3.2", "TLS client");

        private final String keyPurpose;
        private final String label;

        Role(String keyPurpose, String label) {
            this.keyPurpose = keyPurpose;
            this.label = label;
        }
    }

    private static final String ANY_KEY_PURPOSE = "2.5.29.37.0";

    private PeerCheck() {
    }

    /**
     * @param what how the refusal names the certificate: "peer certificate", or for our own
     *        "certificate in /etc/tandem/tls.crt"
     * @param expected node names that may present it; empty accepts any node of the CA
     * @return the node name the certificate speaks for (the expected one it matched)
     */
    public static String check(X509Certificate[] chain, TrustMaterial trust, Role role, Collection<String> expected,
            Instant now, String what) throws PeerRefusedException {
        if (chain == null || chain.length == 0) {
            throw new PeerRefusedException(what + " missing: the peer sent no certificate");
        }
        X509Certificate leaf = chain[0];
        Set<String> names = PeerNames.of(leaf);
        String shown = names.isEmpty() ? "an unnamed node" : "node " + String.join("/", names);
        // signatures first, checked as of the time the leaf was issued: a stranger is a stranger, expired or not
        validatePath(chain, trust, leaf.getNotBefore(), what + " not issued by " + trust.issuerName());
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new PeerRefusedException(what + " for " + shown + " expired at " + leaf.getNotAfter().toInstant()
                    + " (now " + now + "; check both nodes' clocks, or renew it)");
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new PeerRefusedException(what + " for " + shown + " is not valid before "
                    + leaf.getNotBefore().toInstant() + " (now " + now + "; check both nodes' clocks)");
        }
        validatePath(chain, trust, Date.from(now), what + " chain for " + shown + " is not valid now");
        checkKeyUsage(leaf, role, what, shown);
        if (expected.isEmpty()) {
            return names.stream().findFirst().orElseThrow(() -> new PeerRefusedException(
                    what + " names no node (no subject CN, no subjectAltName DNS entry)"));
        }
        for (String node : expected) {
            if (PeerNames.matches(names, node)) {
                return node;
            }
        }
        throw new PeerRefusedException(what + " is for " + shown + ", expected " + String.join(" or ", expected));
    }

    private static void validatePath(X509Certificate[] chain, TrustMaterial trust, Date at, String refusal)
            throws PeerRefusedException {
        List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
        // peers often send the CA along; a PKIX path ends below its anchor
        while (path.size() > 1 && trust.authorities().contains(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        try {
            PKIXParameters parameters = new PKIXParameters(trust.anchors());
            parameters.setRevocationEnabled(false);
            parameters.setDate(at);
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (CertPathValidatorException e) {
            throw new PeerRefusedException(refusal + " (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new PeerRefusedException(refusal + " (cannot validate: " + e.getMessage() + ")", e);
        }
    }

    private static void checkKeyUsage(X509Certificate leaf, Role role, String what, String shown)
            throws PeerRefusedException {
        List<String> purposes;
        try {
            purposes = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new PeerRefusedException(what + " for " + shown + " has an unreadable extended key usage", e);
        }
        if (purposes != null && !purposes.contains(role.keyPurpose) && !purposes.contains(ANY_KEY_PURPOSE)) {
            throw new PeerRefusedException(what + " for " + shown + " is not allowed for " + role.label
                    + " authentication (extended key usage " + purposes + "); every node needs both server and"
                    + " client auth");
        }
    }
}
