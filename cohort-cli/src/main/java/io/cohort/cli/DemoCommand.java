package io.cohort.cli;

import io.cohort.examples.HelloExample;
import io.cohort.examples.PeersExample;
import io.cohort.examples.SocketsExample;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;

/** {@code cohort demo}: the examples, on local workers. */
final class DemoCommand {
    private DemoCommand() {
    }

    static int run(List<String> args, PrintStream out) {
        String which = args.isEmpty() ? "hpo" : args.get(0);
        String[] rest = args.isEmpty() ? new String[0] : args.subList(1, args.size()).toArray(String[]::new);
        try {
            switch (which) {
                case "sockets" -> SocketsExample.main(rest);
                case "hello" -> HelloExample.main(rest);
                case "hpo" -> io.cohort.examples.hpo.HpoExample.main(rest);
                case "peers" -> PeersExample.main(rest);
                case "allreduce" -> io.cohort.examples.AllReduceExample.main(rest);
                case "hazelcast" -> io.cohort.examples.HazelcastExample.main(rest);
                case "crawl" -> io.cohort.examples.crawl.CrawlExample.main(rest);
                default -> throw new Main.UsageException("unknown demo '" + which + "'; choose hpo, hello, sockets, peers, allreduce, hazelcast or crawl");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}
