package io.cohort;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One launch: n workers, each with the same resources, running the same program.
 * Built with {@link #builder()}; every value is checked when it is set, with a message that
 * names the argument and the accepted range.
 *
 * @param service how its workers show they are ready, when they are services (they stay up until
 *                stopped; one that ends before is a failure); null for ordinary workers
 */
public record LaunchRequest(int n, double cpu, double memoryGb, int gpus, Program program, Map<String, String> env,
                            Readiness service) {
    /**
     * The least CPU a worker may ask for: 0.01 cores. A CFS quota cannot be below 1 ms per period,
     * and cohort's quota period is 100 ms, so anything smaller could not be enforced as asked.
     */
    public static final double MIN_CPU = 0.01;
    /** The least memory a worker may ask for: 16 MB (0.015625 GB); no interpreter starts in less. */
    public static final double MIN_MEMORY_GB = 16.0 / 1024;
    /**
     * The most bytes one {@code NAME=value} of env may take: Linux refuses a single string of
     * {@code exec}'s environment over 32 pages (MAX_ARG_STRLEN, 128 KiB, its NUL included) with E2BIG.
     */
    public static final int MAX_ENV_ENTRY_BYTES = 128 * 1024 - 1;
    /**
     * The most bytes all of env may take together (each {@code NAME=value} and its NUL): 1 MiB, half
     * of what Linux allows for a whole command line and environment with the usual 8 MiB stack limit
     * (ARG_MAX = a quarter of it), leaving the other half for the session's own variables and the command.
     */
    public static final int MAX_ENV_BYTES = 1 << 20;

    public LaunchRequest {
        checkN(n);
        checkCpu(cpu);
        checkMemory(memoryGb);
        checkGpus(gpus);
        Objects.requireNonNull(program, "program: give a script or code (Program.script(...) / Program.code(...))");
        env = Map.copyOf(checkEnv(env == null ? Map.of() : env));
    }

    /** An ordinary launch (no service). */
    public LaunchRequest(int n, double cpu, double memoryGb, int gpus, Program program, Map<String, String> env) {
        this(n, cpu, memoryGb, gpus, program, env, null);
    }

    /** This launch with its workers as services, ready when {@code readiness} passes. */
    public LaunchRequest asService(Readiness readiness) {
        return new LaunchRequest(n, cpu, memoryGb, gpus, program, env, Objects.requireNonNull(readiness, "readiness"));
    }

    /** This launch with another number of workers. */
    public LaunchRequest withN(int n) {
        return new LaunchRequest(n, cpu, memoryGb, gpus, program, env, service);
    }

    /** The short form: n workers with the given CPU cores and gigabytes each, running a program. */
    public static LaunchRequest of(int n, double cpu, double memoryGb, Program program) {
        return new LaunchRequest(n, cpu, memoryGb, 0, program, Map.of());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder for the optional parameters; defaults: n=1, cpu=1, memoryGb=1, gpus=0, no extra env. */
    public static final class Builder {
        private int n = 1;
        private double cpu = 1;
        private double memoryGb = 1;
        private int gpus = 0;
        private Program program;
        private final Map<String, String> env = new LinkedHashMap<>();
        private Readiness service;

        private Builder() {
        }

        /** How many workers to start: at least 1. */
        public Builder n(int n) {
            this.n = checkN(n);
            return this;
        }

        /** CPU cores per worker: at least {@link #MIN_CPU} (0.01); fractions allowed (0.2). */
        public Builder cpu(double cpu) {
            this.cpu = checkCpu(cpu);
            return this;
        }

        /** Gigabytes of memory per worker: at least {@link #MIN_MEMORY_GB} (16 MB); fractions allowed (0.5). */
        public Builder memoryGb(double memoryGb) {
            this.memoryGb = checkMemory(memoryGb);
            return this;
        }

        /** Whole GPUs per worker: 0 or more. */
        public Builder gpus(int gpus) {
            this.gpus = checkGpus(gpus);
            return this;
        }

        public Builder program(Program program) {
            this.program = Objects.requireNonNull(program, "program");
            return this;
        }

        /** Java code, or a shell command when it starts with '!'. */
        public Builder code(String code) {
            return program(Program.code(code));
        }

        public Builder code(Kernel kernel, String code) {
            return program(Program.code(kernel, code));
        }

        public Builder script(String path) {
            return program(Program.script(path));
        }

        public Builder script(Kernel kernel, String path) {
            return program(Program.script(kernel, path));
        }

        /** An extra environment variable for every worker of this launch. */
        public Builder env(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(env);
            more.put(Objects.requireNonNull(name, "env name"), Objects.requireNonNull(value, "env value of " + name));
            checkEnv(more);
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> vars) {
            vars.forEach(this::env);
            return this;
        }

        /** Makes the workers services: they stay up until stopped, and are ready when {@code readiness} passes. */
        public Builder service(Readiness readiness) {
            this.service = Objects.requireNonNull(readiness, "readiness");
            return this;
        }

        public LaunchRequest build() {
            if (program == null) {
                throw new IllegalArgumentException("a launch needs a script or code: call script(...) or code(...)");
            }
            return new LaunchRequest(n, cpu, memoryGb, gpus, program, env, service);
        }
    }

    private static int checkN(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n (number of workers) must be at least 1, got " + n);
        }
        return n;
    }

    private static double checkCpu(double cpu) {
        if (!(cpu > 0) || Double.isInfinite(cpu)) {
            throw new IllegalArgumentException("cpu (cores per worker) must be more than 0 (fractions such as 0.2 are fine), got " + cpu);
        }
        if (cpu < MIN_CPU) {
            throw new IllegalArgumentException("cpu (cores per worker) must be at least " + MIN_CPU + " (the smallest CPU quota"
                    + " that can be enforced: 1 ms per 100 ms period), got " + cpu + "; ask for " + MIN_CPU + " or more");
        }
        return cpu;
    }

    private static double checkMemory(double memoryGb) {
        if (!(memoryGb > 0) || Double.isInfinite(memoryGb)) {
            throw new IllegalArgumentException("memory (GB per worker) must be more than 0 (fractions such as 0.5 are fine), got " + memoryGb);
        }
        if (memoryGb < MIN_MEMORY_GB) {
            throw new IllegalArgumentException("memory (GB per worker) must be at least " + MIN_MEMORY_GB + " (16 MB: no program"
                    + " starts in less), got " + memoryGb + "; ask for 0.1 (about 100 MB) or more for a small script");
        }
        return memoryGb;
    }

    private static int checkGpus(int gpus) {
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus (per worker) must be 0 or more, got " + gpus);
        }
        return gpus;
    }

    private static Map<String, String> checkEnv(Map<String, String> env) {
        long total = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            String value = e.getValue();
            if (name == null || !isName(name)) {
                throw new IllegalArgumentException("env name '" + name + "' is not a variable name: use letters, digits and '_',"
                        + " not starting with a digit (such as MY_SETTING)");
            }
            if (value == null || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("env value of " + name + " must be a string without NUL");
            }
            long bytes = utf8Length(name) + 1 + utf8Length(value);
            if (bytes > MAX_ENV_ENTRY_BYTES) {
                throw new IllegalArgumentException("env " + name + " is " + bytes + " bytes as NAME=value; exec takes at most "
                        + MAX_ENV_ENTRY_BYTES + " (Linux's MAX_ARG_STRLEN): pass large data in a file or a queue instead");
            }
            total += bytes + 1;
        }
        if (total > MAX_ENV_BYTES) {
            throw new IllegalArgumentException("env is " + total + " bytes in all (NAME=value and a NUL each); a launch may add at"
                    + " most " + MAX_ENV_BYTES + " (1 MiB, so exec stays within Linux's ARG_MAX): pass large data in a file or a"
                    + " queue instead");
        }
        return env;
    }

    private static boolean isName(String name) {
        if (name.isEmpty() || !(isLetter(name.charAt(0)) || name.charAt(0) == '_')) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(isLetter(c) || c == '_' || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
