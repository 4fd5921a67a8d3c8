package uk.e42.tandem.config;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * Which IP addresses this machine has: a {@code floating ADDR} section belongs to the node that
 * owns ADDR, as drbdadm decides.
 */
@FunctionalInterface
public interface LocalAddresses {

    boolean has(String address);

    /** None: only {@code on HOST} sections can match. */
    static LocalAddresses none() {
        return address -> false;
    }

    /** The addresses of this machine's network interfaces, read once. */
    static LocalAddresses system() {
        Set<InetAddress> mine = new HashSet<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                mine.addAll(Collections.list(nic.getInetAddresses()));
            }
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list this machine's network interfaces: " + e.getMessage(), e);
        }
        return address -> {
            try {
                String literal = address.contains("%") ? address.substring(0, address.indexOf('%')) : address;
                InetAddress wanted = InetAddress.getByName(literal);
                return mine.stream().anyMatch(a -> a.getAddress().length == wanted.getAddress().length
                        && Arrays.equals(a.getAddress(), wanted.getAddress()));
            } catch (UnknownHostException e) {
                return false;
            }
        };
    }
}
