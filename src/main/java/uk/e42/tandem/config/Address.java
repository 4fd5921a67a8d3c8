package uk.e42.tandem.config;

/** {@code address [ipv4|ipv6|ssocks|sdp] ADDR:PORT}; IPv6 addresses are kept without brackets. */
public record Address(String family, String host, int port, SourcePosition at) {

    public boolean isIpv6() {
        return family.equals("ipv6");
    }

    /** As drbdadm prints it: {@code ipv4 10.0.0.1:7789} or {@code ipv6 [fd00::1]:7789}. */
    @Override
    public String toString() {
        return family + " " + hostPort();
    }

    /** {@code 10.0.0.1:7789} or {@code [fd00::1]:7789}. */
    public String hostPort() {
        return (isIpv6() ? "[" + host + "]" : host) + ":" + port;
    }

    boolean sameEndpoint(Address other) {
        return host.equalsIgnoreCase(other.host) && port == other.port;
    }
}
