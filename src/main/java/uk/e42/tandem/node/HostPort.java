package uk.e42.tandem.node;

/**
 * A host:port pair as operators write it: {@code 127.0.0.1:7800}, {@code [::1]:7800},
 * {@code localhost:7800}.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1-65535");
        }
    }

    /**
     * @param setting the setting's name, for the error message
     * @throws IllegalArgumentException naming the setting, the value and the expected form
     */
    public static HostPort parse(String setting, String value) {
        String text = value == null ? "" : value.strip();
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            host = "";
        }
        if (host.isEmpty() || colon == text.length() - 1) {
            throw new IllegalArgumentException(setting + "='" + value
                    + "' is not an address: write HOST:PORT, e.g. 127.0.0.1:7800 or [::1]:7800");
        }
        try {
            return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + "='" + value + "': " + e.getMessage()
                    + "; write HOST:PORT with a port from 1 to 65535", e);
        }
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
