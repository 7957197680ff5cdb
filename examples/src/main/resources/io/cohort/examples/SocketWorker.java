import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Socket;

/** A worker of the network example: connects to the session, says hello, prints the reply. */
public class SocketWorker {
    public static void main(String[] args) throws Exception {
        String master = System.getenv("CML_MASTER_IP");
        int port = Integer.parseInt(System.getenv().getOrDefault("COHORT_DEMO_PORT", "6000"));
        try (Socket socket = new Socket(master, port);
             PrintWriter out = new PrintWriter(socket.getOutputStream(), true);
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream()))) {
            out.println("hello from " + System.getenv("CDSW_ENGINE_ID") + " (java) at " + System.getenv("CDSW_IP_ADDRESS"));
            System.out.println("master replied: " + in.readLine());
        }
    }
}
