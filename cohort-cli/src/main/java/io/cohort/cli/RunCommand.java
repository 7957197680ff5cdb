package io.cohort.cli;

import io.cohort.AwaitResult;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.Program;
import io.cohort.Session;
import io.cohort.SessionOptions;
import io.cohort.Worker;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;

/** {@code cohort run}: one launch from the shell, its output streamed, its result as the exit code. */
final class RunCommand {
    private RunCommand() {
    }

    /** Refused before anything starts: a negative timeout would otherwise be found only after the workers ran. */
    private static Duration timeout(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new Main.UsageException("--timeout takes seconds: 0 (no limit) or more, got " + seconds);
        }
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        LaunchRequest.Builder request = LaunchRequest.builder();
        String kernel = null;
        String script = null;
        String code = null;
        Duration timeout = Duration.ZERO;
        Iterator<String> it = args.iterator();
        while (it.hasNext()) {
            String a = it.next();
            try {
                switch (a) {
                    case "-n" -> request.n(Integer.parseInt(value(it, a)));
                    case "--cpu" -> request.cpu(Double.parseDouble(value(it, a)));
                    case "--memory" -> request.memoryGb(Double.parseDouble(value(it, a)));
                    case "--gpus" -> request.gpus(Integer.parseInt(value(it, a)));
                    case "--kernel" -> kernel = value(it, a);
                    case "--script" -> script = value(it, a);
                    case "--code" -> code = value(it, a);
                    case "--timeout" -> timeout = timeout(Double.parseDouble(value(it, a)));
                    case "--env" -> {
                        String kv = value(it, a);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new Main.UsageException("--env takes NAME=VALUE, got '" + kv + "'");
                        }
                        request.env(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    case "--" -> {
                        StringBuilder cmd = new StringBuilder();
                        it.forEachRemaining(w -> cmd.append(cmd.length() == 0 ? "" : " ").append(w));
                        kernel = "shell";
                        code = cmd.toString();
                    }
                    default -> throw new Main.UsageException("unknown option '" + a + "'");
                }
            } catch (NumberFormatException e) {
                throw new Main.UsageException(a + " takes a number: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException(e.getMessage());
            }
        }
        request.program(program(kernel, script, code));
        LaunchRequest launch = request.build();
        try (Session session = Session.open(SessionOptions.builder().console(out).build())) {
            List<Worker> workers = session.launch(launch);
            AwaitResult result = session.await(workers, true, timeout);
            if (!result.failures().isEmpty()) {
                session.stop(result.failures());
            }
            List<Worker> end = session.list();
            out.flush();
            err.println(summary(end));
            return end.stream().allMatch(w -> w.status() == io.cohort.Status.SUCCEEDED) ? 0 : 1;
        }
    }

    private static Program program(String kernel, String script, String code) {
        if ((script == null) == (code == null)) {
            throw new Main.UsageException("give exactly one of --script FILE, --code CODE or -- COMMAND");
        }
        try {
            if (script != null) {
                return kernel == null ? Program.script(script) : Program.script(Kernel.of(kernel), script);
            }
            return kernel == null ? Program.code(code) : Program.code(Kernel.of(kernel), code);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
    }

    static String summary(List<Worker> workers) {
        long ok = workers.stream().filter(w -> w.status() == io.cohort.Status.SUCCEEDED).count();
        StringBuilder s = new StringBuilder(String.format("cohort: %d of %d workers succeeded", ok, workers.size()));
        for (Worker w : workers) {
            if (w.status() != io.cohort.Status.SUCCEEDED) {
                s.append(String.format("%n  %s %s: %s", w.id(), w.status().label(), w.reason()));
            }
        }
        return s.toString();
    }

    static String value(Iterator<String> it, String option) {
        if (!it.hasNext()) {
            throw new Main.UsageException(option + " needs a value");
        }
        return it.next();
    }
}
