import io.cohort.worker.Cohort;
import io.cohort.worker.Rendezvous;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank of a torch-style all-reduce over plain sockets: the rendezvous names rank 0's address and
 * port; rank 0 gathers every rank's value, sums, and sends the sum back; every rank prints it.
 */
public class AllReduceWorker {
    public static void main(String[] args) throws Exception {
        Rendezvous r = Cohort.rendezvous(Duration.ofSeconds(60));
        long mine = (long) (r.rank() + 1) * (r.rank() + 1);
        long total;
        if (r.rank() == 0) {
            try (ServerSocket server = new ServerSocket()) {
                server.bind(new InetSocketAddress(r.masterAddr(), r.masterPort()));
                List<Socket> peers = new ArrayList<>();
                total = mine;
                for (int i = 1; i < r.size(); i++) {
                    Socket peer = server.accept();
                    peers.add(peer);
                    total += Long.parseLong(reader(peer).readLine());
                }
                for (Socket peer : peers) {
                    new PrintWriter(peer.getOutputStream(), true, StandardCharsets.UTF_8).println(total);
                    peer.close();
                }
            }
        } else {
            Socket master = null;
            for (int attempt = 0; master == null; attempt++) {
                try {
                    master = new Socket(r.masterAddr(), r.masterPort());
                } catch (ConnectException notYet) {
                    if (attempt > 200) {
                        throw notYet;
                    }
                    Thread.sleep(50); // rank 0 may not listen yet
                }
            }
            try (Socket s = master) {
                new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8).println(mine);
                total = Long.parseLong(reader(s).readLine());
            }
        }
        System.out.println("rank " + r.rank() + " of " + r.size() + ": sum " + total);
    }

    private static BufferedReader reader(Socket s) throws Exception {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }
}
