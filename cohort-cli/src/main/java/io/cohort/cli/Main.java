package io.cohort.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The {@code cohort} command: shell, run, demo. */
public final class Main {
    static final String USAGE = """
            usage: cohort <command> [options]

              shell [jshell options]   JShell with the cohort API on the class path and imported
              run [options] [-- cmd]   launch workers, stream their output, wait; exit 1 if any failed
              resume DIR               reopen a session that ended (or crashed), start its interrupted
                                       workers again, and wait until its queues are drained
              demo [hpo|hello|sockets|peers|allreduce|hazelcast|crawl] [args]
                                       a demonstration on local workers (default: hpo; see README.md)
              serve [options]          a session with no REPL, for the Python and R clients and other
                                       terminals (docs/session-api.md): --stdin (end with standard
                                       input), --parent-pid PID (end with that process), --id ID,
                                       --print-connection, --connection-file PATH
              ps [--all]               the running sessions (under the home) and their workers
              logs [-f] WORKER         a worker's output; -f follows it until the worker ends
              stop WORKER...|--all     stops workers of a running session
              attach [jshell options]  JShell on a running session (/exit detaches; the session goes on)
                                       ps, logs, stop and attach take --session ID|DIR|FILE (else
                                       COHORT_SESSION, the worker's own session, or the newest one)
              python SCRIPT [args]     Python with `import cdsw` available (bin/cohort only)
              r [SCRIPT [args]]        R with launch.workers() and friends loaded (bin/cohort only)
              help                     this text

            run options:
              -n N              number of workers (default 1)
              --cpu C           CPU cores per worker, fractions allowed (default 1)
              --memory GB       gigabytes of memory per worker (default 1)
              --gpus G          whole GPUs per worker (default 0)
              --kernel K        java, jshell, python3, r or shell (default: from the script's extension, else java)
              --script FILE     a script to run
              --code CODE       code to run (a leading '!' means a shell command)
              --env NAME=VALUE  an extra environment variable (repeatable)
              --timeout S       give up waiting after S seconds and stop the workers (default: no limit)
              -- CMD ARGS...    a shell command line to run (same as --kernel shell --code 'CMD ARGS')

            Settings come from -Dcohort.NAME=VALUE or COHORT_NAME: home, backend, cpuOvercommit,
            stopGraceSeconds, console=off, local.cgroups=off, kernel.python3, kernel.r, java.options.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            return switch (args[0]) {
                case "shell" -> ShellCommand.run(rest, err);
                case "run" -> RunCommand.run(rest, out, err);
                case "resume" -> ResumeCommand.run(rest, out, err);
                case "demo" -> DemoCommand.run(rest, out);
                case "serve" -> ServeCommand.run(rest, out, err);
                case "ps" -> SessionCommands.ps(rest, out, err);
                case "logs" -> SessionCommands.logs(rest, out, err);
                case "stop" -> SessionCommands.stop(rest, out, err);
                case "attach" -> SessionCommands.attach(rest, err);
                case "help", "-h", "--help" -> {
                    out.print(USAGE);
                    yield 0;
                }
                default -> {
                    err.println("cohort: unknown command '" + args[0] + "'\n");
                    err.print(USAGE);
                    yield 2;
                }
            };
        } catch (UsageException e) {
            err.println("cohort " + args[0] + ": " + e.getMessage());
            err.println("run 'cohort help' for the options");
            return 2;
        } catch (RuntimeException e) {
            err.println("cohort " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    /** Bad command-line input. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
