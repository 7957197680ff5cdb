import io.cohort.worker.Cohort;
import io.cohort.worker.Peer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A client worker of the peers example: finds the server worker (PEERS_SERVER, its id) in the
 * session's list of workers, waits until it runs, connects to the address and port the list gives,
 * from its own address, sends a line and prints the reply.
 */
public class PeerClient {
    static final long DEADLINE = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);

    public static void main(String[] args) throws Exception {
        Peer server = findRunning(System.getenv("PEERS_SERVER"));
        int port = server.appPort();
        System.out.printf("found server %s at %s:%d in the worker list%n", server.id(), server.ipAddress(), port);
        try (Socket socket = connect(server.ipAddress(), port);
             PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            out.printf("hello from %s (java) at %s%n", Cohort.workerId(), Cohort.ipAddress());
            System.out.println("server replied: " + in.readLine());
        }
    }

    /** Lists the session's workers until the server shows running, backing off from 20 ms to 500 ms. */
    static Peer findRunning(String id) {
        long pause = TimeUnit.MILLISECONDS.toNanos(20);
        while (true) {
            for (Peer p : Cohort.workers()) {
                if (p.id().equals(id) && p.running()) {
                    return p;
                }
                if (p.id().equals(id) && p.ended()) {
                    throw new IllegalStateException("the server " + id + " has already " + p.status());
                }
            }
            pause = backOff(pause, "the server " + id + " is not running");
        }
    }

    /** Running is not yet listening: retries a refused connection until the deadline. */
    static Socket connect(String host, int port) throws IOException {
        long pause = TimeUnit.MILLISECONDS.toNanos(20);
        while (true) {
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress(InetAddress.getByName(Cohort.ipAddress()), 0));   // from this worker's own address
                s.connect(new InetSocketAddress(host, port), 10_000);
                return s;
            } catch (java.net.ConnectException refused) {
                s.close();
                pause = backOff(pause, "nobody listens on " + host + ":" + port);
            }
        }
    }

    static long backOff(long pause, String what) {
        if (System.nanoTime() + pause > DEADLINE) {
            throw new IllegalStateException(what + " after 90 s");
        }
        LockSupport.parkNanos(pause);
        return Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(500));
    }
}
