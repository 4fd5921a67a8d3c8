package uk.e42.tandem.tunnel;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The node names a certificate speaks for: its subjectAltName DNS entries (what cert-manager
 * writes from {@code dnsNames}) and its subject CN (what Tandem's own certificates carry). Node
 * names compare like host names, ignoring case, as drbd.conf's {@code on HOST} does.
 */
final class PeerNames {
    private static final int SAN_DNS = 2;
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private PeerNames() {
    }

    static Set<String> of(X509Certificate certificate) {
        Set<String> names = new LinkedHashSet<>();
        commonName(certificate).ifPresent(names::add);
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) {
                    if (entry.get(0) instanceof Integer type && type == SAN_DNS) {
                        names.add((String) entry.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // a certificate with a garbled SAN names nothing there; the CN alone decides
        }
        return names;
    }

    static boolean matches(Set<String> names, String nodeName) {
        String wanted = nodeName.toLowerCase(Locale.ROOT);
        return names.stream().anyMatch(n -> n.toLowerCase(Locale.ROOT).equals(wanted));
    }

    static boolean isDnsName(String name) {
        return name.length() <= 253 && DNS_NAME.matcher(name).matches();
    }

    private static Optional<String> commonName(X509Certificate certificate) {
        try {
            LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName());
            return subject.getRdns().stream().filter(r -> r.getType().equalsIgnoreCase("CN"))
                    .map(Rdn::getValue).map(Object::toString).reduce((first, last) -> last);
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }
}
