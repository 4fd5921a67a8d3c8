package uk.e42.tandem.tunnel;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents this node's current certificate. The TLS stack asks for an alias, then for its key and
 * chain in separate calls; the alias names the generation, and the previous generation stays
 * reachable, so a renewal between those calls cannot pair a new key with an old chain.
 */
final class LinkKeyManager extends X509ExtendedKeyManager {
    private final Supplier<LinkMaterial> current;
    private volatile LinkMaterial previous;

    LinkKeyManager(Supplier<LinkMaterial> current) {
        this.current = current;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return chooseClientAlias(keyTypes, issuers, null);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        LinkMaterial material = current.get();
        return keyTypes != null && Arrays.stream(keyTypes).anyMatch(t -> fits(material, t)) ? material.alias() : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        LinkMaterial material = current.get();
        return fits(material, keyType) ? material.alias() : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return aliases(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return aliases(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        LinkMaterial material = byAlias(alias);
        return material == null ? null : material.identity().chain();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        LinkMaterial material = byAlias(alias);
        return material == null ? null : material.identity().privateKey();
    }

    private String[] aliases(String keyType) {
        LinkMaterial material = current.get();
        return fits(material, keyType) ? new String[] {material.alias()} : null;
    }

    private LinkMaterial byAlias(String alias) {
        LinkMaterial material = current.get();
        LinkMaterial before = previous;
        if (material.alias().equals(alias)) {
            return material;
        }
        if (before != null && before.alias().equals(alias)) {
            return before;
        }
        return null;
    }

    /** Called before the current material is replaced. */
    void retire(LinkMaterial outgoing) {
        previous = outgoing;
    }

    private static boolean fits(LinkMaterial material, String keyType) {
        // JSSE asks for "EC" or "RSA" (also for RSASSA-PSS signatures with an RSA key)
        return keyType != null && keyType.equalsIgnoreCase(material.identity().privateKey().getAlgorithm());
    }
}
