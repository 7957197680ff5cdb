import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.TcpIpConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.cohort.worker.Cohort;
import io.cohort.worker.Rendezvous;
import java.time.Duration;

/**
 * One Hazelcast member on a cohort worker: the group's rendezvous lists every member's address and
 * port, which become Hazelcast's TCP/IP join list, so the members form one cluster with no multicast,
 * no discovery service and no shared disk. Each puts its rank in a distributed map and reads all of
 * them back. Nothing leaves the machine: multicast, auto-detection and phone-home are off.
 */
public class HazelcastMember {
    public static void main(String[] args) throws Exception {
        Rendezvous r = Cohort.rendezvous(Duration.ofSeconds(120));
        Rendezvous.Member me = r.members().get(r.rank());
        Config config = new Config();
        config.setClusterName("cohort-" + r.group());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "none");
        config.setProperty("hazelcast.socket.bind.any", "false");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(me.port()).setPortAutoIncrement(false);
        // The worker's own address (a loopback address of its own on local workers: no interface lists it).
        config.setProperty("hazelcast.local.localAddress", me.address());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        TcpIpConfig tcp = join.getTcpIpConfig().setEnabled(true);
        for (Rendezvous.Member m : r.members()) {
            tcp.addMember(m.address() + ":" + m.port());
        }
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(config);
        try {
            await(() -> hz.getCluster().getMembers().size() == r.size(), "every member to join");
            IMap<String, Integer> ranks = hz.getMap("ranks");
            ranks.put("rank-" + r.rank(), r.rank());
            await(() -> ranks.size() == r.size(), "every rank in the map");
            int sum = ranks.values().stream().mapToInt(Integer::intValue).sum();
            System.out.println("member " + r.rank() + " sees a cluster of " + hz.getCluster().getMembers().size()
                    + " members, ranks summing to " + sum);
            // Leave together: a member that left early would take its share of the map with it.
            hz.getMap("done").put("rank-" + r.rank(), true);
            await(() -> hz.getMap("done").size() == r.size(), "every member to finish");
        } finally {
            hz.shutdown();
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
