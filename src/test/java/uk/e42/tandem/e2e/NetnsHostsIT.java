package uk.e42.tandem.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The two-host harness the seed's tests run on: namespaces, a veth link, cut and restore. */
@E2e(root = true, netns = true, tools = {"ip", "curl"})
class NetnsHostsIT {

    @RegisterExtension
    final TandemCluster cluster = new TandemCluster();

    @Test
    void daemonsInTwoHostsReachEachOtherUntilTheLinkIsCut() {
        try (NetnsHosts hosts = new NetnsHosts()) {
            NetnsHosts.Host rosaria = hosts.host("rosaria");
            NetnsHosts.Host paimon = hosts.host("paimon");
            NetnsHosts.Link link = hosts.link(rosaria, paimon);
            TandemNode r = cluster.node("rosaria", rosaria).start();
            TandemNode p = cluster.node("paimon", paimon).start();
            r.awaitLive(Duration.ofSeconds(60));
            p.awaitLive(Duration.ofSeconds(60));

            String url = "http://" + link.bAddress() + ":" + p.httpPort() + "/q/health/live";
            assertTrue(hosts.exec(rosaria, "curl", "-s", "-m", "5", url).stdout().contains("\"node\": \"paimon\""));

            hosts.cut(link);
            Tools.Result cut = Tools.run("ip", "netns", "exec", rosaria.namespace(), "curl", "-s", "-m", "2", url);
            assertNotEquals(0, cut.exitCode(), "the cut link still carried: " + cut.stdout());

            hosts.restore(link);
            assertEquals(0, Tools.run("ip", "netns", "exec", rosaria.namespace(), "curl", "-s", "-m", "5", "--retry",
                    "5", "--retry-connrefused", "--retry-delay", "1", url).exitCode());
        }
    }
}
