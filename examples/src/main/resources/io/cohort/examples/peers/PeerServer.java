import io.cohort.worker.Cohort;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The serving worker of the peers example: listens on its own address (CDSW_IP_ADDRESS, not the
 * session's) and app port (CDSW_APP_PORT), answers each client's line with one of its own, and exits
 * after PEERS_CLIENTS clients.
 */
public class PeerServer {
    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(System.getenv("PEERS_CLIENTS"));
        String me = Cohort.workerId();
        String ip = Cohort.ipAddress();
        int port = Cohort.appPort();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(ip, port), 50);
            server.setSoTimeout(120_000);
            System.out.printf("server %s listening on %s:%d for %d clients%n", me, ip, port, clients);
            for (int served = 1; served <= clients; served++) {
                try (Socket s = server.accept();
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                     PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    String line = in.readLine();
                    String from = s.getInetAddress().getHostAddress();
                    System.out.printf("server got \"%s\" from %s%n", line, from);
                    String client = line == null ? "stranger" : line.replaceFirst("^hello from (\\S+).*", "$1");
                    out.printf("hello %s, this is %s at %s:%d (client %d of %d)%n", client, me, ip, port, served, clients);
                }
            }
            System.out.printf("server %s served %d clients%n", me, clients);
        }
    }
}
