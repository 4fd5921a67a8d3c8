package uk.e42.tandem.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test "hosts": network namespaces joined by veth pairs, whose links can be cut and restored
 * without warning (the seed's disaster tests). Addresses come from 10.99.N.0/24 per link and exist
 * only inside this test's namespaces. Close it to delete everything it made.
 */
public final class NetnsHosts implements AutoCloseable {
    private final String prefix = "td" + ProcessHandle.current().pid() + "x" + System.nanoTime() % 1000;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final List<Link> links = new ArrayList<>();

    public record Host(String name, String namespace) {
    }

    /** A veth pair between two hosts: {@code aAddress} on a's side, {@code bAddress} on b's. */
    public record Link(Host a, Host b, String aDevice, String bDevice, String aAddress, String bAddress) {
    }

    public Host host(String name) {
        return hosts.computeIfAbsent(name, n -> {
            Host host = new Host(n, prefix + "-" + n);
            Tools.run("ip", "netns", "add", host.namespace()).orFail();
            exec(host, "ip", "link", "set", "lo", "up");
            return host;
        });
    }

    /** Joins two hosts with a veth pair and returns the link with both addresses (no prefix length). */
    public Link link(Host a, Host b) {
        int n = links.size() + 1;
        String aDevice = "veth" + n + "a";
        String bDevice = "veth" + n + "b";
        String aAddress = "10.99." + n + ".1";
        String bAddress = "10.99." + n + ".2";
        Tools.run("ip", "link", "add", aDevice, "netns", a.namespace(), "type", "veth", "peer", "name", bDevice,
                "netns", b.namespace()).orFail();
        exec(a, "ip", "addr", "add", aAddress + "/24", "dev", aDevice);
        exec(b, "ip", "addr", "add", bAddress + "/24", "dev", bDevice);
        Link link = new Link(a, b, aDevice, bDevice, aAddress, bAddress);
        links.add(link);
        restore(link);
        return link;
    }

    /**
     * Gives this machine's own namespace a non-loopback address: a veth pair from here to {@code host},
     * {@code 10.98.N.1} on this side. It goes away with the host, when this is closed.
     */
    public String machineAddress(Host host) {
        String device = prefix + "m";
        String address = "10.98." + (ProcessHandle.current().pid() % 200 + 1) + ".1";
        Tools.run("ip", "link", "add", device, "type", "veth", "peer", "name", "machine", "netns",
                host.namespace()).orFail();
        Tools.run("ip", "addr", "add", address + "/24", "dev", device).orFail();
        Tools.run("ip", "link", "set", device, "up").orFail();
        exec(host, "ip", "link", "set", "machine", "up");
        return address;
    }

    /** Pulls the cable: both ends go down at once, nobody is told. */
    public void cut(Link link) {
        exec(link.a(), "ip", "link", "set", link.aDevice(), "down");
        exec(link.b(), "ip", "link", "set", link.bDevice(), "down");
    }

    public void restore(Link link) {
        exec(link.a(), "ip", "link", "set", link.aDevice(), "up");
        exec(link.b(), "ip", "link", "set", link.bDevice(), "up");
    }

    /** Runs a command inside a host and fails the test if it fails. */
    public Tools.Result exec(Host host, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", host.namespace()));
        full.addAll(List.of(command));
        return Tools.run(full, null).orFail();
    }

    @Override
    public void close() {
        for (Host host : hosts.values()) {
            Tools.run("ip", "netns", "pids", host.namespace()).stdout().lines()
                    .forEach(pid -> Tools.run("kill", "-9", pid.strip()));
            Tools.run("ip", "netns", "delete", host.namespace());
        }
        hosts.clear();
        links.clear();
    }
}
