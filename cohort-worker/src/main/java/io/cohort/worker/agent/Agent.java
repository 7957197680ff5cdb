package io.cohort.worker.agent;

import io.cohort.worker.WorkerVariables;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent of a worker that runs on another machine (a Slurm job, later a pod). It is the job's
 * program: it fetches the worker's command, environment and directory from the session, runs it,
 * ships its output lines, polls the session (its heartbeat, which also brings a stop at once),
 * and reports the exit. It exits with the program's exit code, so the engine's own accounting agrees.
 * Its parts: the program's process tree ({@link ProgramTree}), its output on the way
 * ({@link OutputShipper}) and the session ({@link SessionLink}); this class wires them.
 *
 * <p>When the session cannot be reached for {@code COHORT_AGENT_GIVE_UP_MS} (10 s by default) -- it
 * was killed, or its machine is gone -- the agent ends the program's whole tree (SIGTERM, SIGKILL
 * two seconds later) and exits with 75. Whatever else goes wrong after the program started, the
 * agent never exits and leaves it running.
 *
 * <p>Environment: COHORT_API, COHORT_TOKEN, COHORT_WORKER_ID; optionally COHORT_AGENT_GIVE_UP_MS, and
 * COHORT_TLS_PIN when COHORT_API is https:// (the only certificate the agent trusts).
 */
public final class Agent {
    private static final Duration SESSION_GONE_GRACE = Duration.ofSeconds(2);

    private final SessionLink link;
    private final String worker;
    private volatile ProgramTree program;
    /** Set when the agent's JVM was told to end (SIGTERM from the engine): the engine reports the end. */
    private volatile boolean terminated;
    /** Why the agent itself ended the program (it could not do its job), or null. */
    private volatile String failure;

    private Agent(String api, String token, String pin, String worker, long giveUpMillis) {
        this.link = new SessionLink(api, token, pin, worker, giveUpMillis, this::stopOrdered, this::sessionGone);
        this.worker = worker;
    }

    public static void main(String[] args) {
        String api = require(WorkerVariables.COHORT_API);
        String token = require(WorkerVariables.COHORT_TOKEN);
        String worker = require(WorkerVariables.COHORT_WORKER_ID);
        long giveUp = Long.parseLong(System.getenv().getOrDefault(WorkerVariables.COHORT_AGENT_GIVE_UP_MS, "10000"));
        int code;
        try {
            code = new Agent(api, token, System.getenv(WorkerVariables.COHORT_TLS_PIN), worker, giveUp).run();
        } catch (SessionLink.SessionGone e) {
            System.err.println("cohort agent " + worker + ": " + e.getMessage());
            code = 75;
        } catch (RuntimeException e) {
            System.err.println("cohort agent " + worker + ": " + e.getMessage());
            code = 70;
        }
        System.exit(code);
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            System.err.println("cohort agent: " + name + " is not set; the agent is started by a cohort backend, not by hand");
            System.exit(2);
        }
        return v;
    }

    private int run() {
        // A refusal here (the worker ended or was stopped while its job waited) means: do not run it.
        ProgramSpec spec = ProgramSpec.from(link.spec(), System.getenv());
        Map<String, String> env = spec.env();
        String address = env.get(WorkerVariables.CDSW_IP_ADDRESS);
        if (address == null) {
            address = link.addressTowardsSession();
            env.put(WorkerVariables.CDSW_IP_ADDRESS, address);
        }
        ProgramTree p;
        try {
            p = ProgramTree.start(spec.command(), spec.directory(), env);
        } catch (IOException e) {
            // The program cannot start here (e.g. the interpreter is missing on this node).
            link.started(Map.of("pid", ProcessHandle.current().pid(), "address", address));
            String reason = "cannot start " + spec.command().get(0) + " on " + hostName() + ": " + e.getMessage();
            link.exited(Map.of("exit_code", 127, "reason", reason));
            return 127;
        }
        program = p;
        // SIGTERM to the agent alone (scancel --batch, a time limit on engines that signal only the
        // batch script) must not leave the program behind either.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // The engine ended the job (cancelled, time limit): it knows why, and says so better than an exit code.
            terminated = true;
            if (p.isAlive()) {
                p.kill();
            }
        }, "cohort-agent-exit"));
        try {
            return supervise(p, address, env);
        } finally {
            // Whatever ended the agent early, it does not leave the program behind.
            if (p.isAlive()) {
                p.stop(SESSION_GONE_GRACE);
                p.waitFor();
            }
        }
    }

    private int supervise(ProgramTree p, String address, Map<String, String> env) {
        Map<String, Object> started = new HashMap<>();
        started.put("pid", p.process().pid());
        started.put("address", address);
        started.put("gpus", gpus(env.get(WorkerVariables.CUDA_VISIBLE_DEVICES)));
        started.put("host", hostName());
        link.started(started);

        OutputShipper output = new OutputShipper(link, () -> link.gone() || failure != null, this::failed);
        Thread out = output.pump(p.process().getInputStream(), "out");
        Thread err = output.pump(p.process().getErrorStream(), "err");
        Thread shipper = output.start();
        daemon("cohort-agent-poll", this::heartbeat).start();
        int code = p.waitFor();
        // Whatever the program left behind in its tree goes with it, as on local workers.
        p.kill();
        join(out, 0);
        join(err, 0);
        output.end();
        // A shipper stuck on a silent session is not waited for: its lines cannot be delivered anyway.
        while (shipper.isAlive() && !link.gone()) {
            join(shipper, 200);
        }
        if (link.gone()) {
            throw new SessionLink.SessionGone("the session at " + link.api() + " did not answer for "
                    + link.giveUpMillis() + " ms (it ended, or its machine cannot be reached); the program was ended");
        }
        if (terminated) {
            return code;
        }
        Map<String, Object> exited = new HashMap<>();
        exited.put("exit_code", code);
        exited.put("reason", failure);
        link.exited(exited);
        return code;
    }

    /** The heartbeat, while the program runs and no stop was ordered. */
    private void heartbeat() {
        try {
            link.heartbeat(() -> program.isAlive() && !program.stopping());
        } catch (SessionLink.SessionGone e) {
            // The link told the agent already.
        } catch (Throwable e) {
            failed("the heartbeat failed: " + e.getMessage());
        }
    }

    /** The session ordered a stop (in a poll's or a batch's answer). */
    private void stopOrdered(Duration grace) {
        ProgramTree p = program;
        if (p != null) {
            p.stopOnce(grace);
        }
    }

    /** The session has not answered for the give-up time: the program is ended. */
    private void sessionGone() {
        ProgramTree p = program;
        if (p != null) {
            System.err.println("cohort agent " + worker + ": the session did not answer for " + link.giveUpMillis()
                    + " ms; ending the program");
            p.stopOnce(SESSION_GONE_GRACE);
        }
    }

    /** The agent cannot do its job (the session refused it, or it broke): the program is ended, and why is reported. */
    private void failed(String why) {
        if (failure == null) {
            failure = "its agent ended it: " + why;
            System.err.println("cohort agent " + worker + ": " + why);
        }
        ProgramTree p = program;
        if (p != null) {
            p.stopOnce(SESSION_GONE_GRACE);
        }
    }

    private static List<Integer> gpus(String visible) {
        List<Integer> out = new ArrayList<>();
        if (visible != null) {
            for (String s : visible.split(",")) {
                try {
                    out.add(Integer.parseInt(s.trim()));
                } catch (NumberFormatException notAnIndex) {
                    // A GPU named by UUID, or none: not reported as an index.
                }
            }
        }
        return out;
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    private static void join(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
