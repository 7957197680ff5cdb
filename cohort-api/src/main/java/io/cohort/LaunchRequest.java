package io.cohort;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One launch: n workers, each with the same resources, running the same program.
 * Built with {@link #builder()}; every value is checked when it is set, with a message that
 * names the argument and the accepted range.
 */
public record LaunchRequest(int n, double cpu, double memoryGb, int gpus, Program program, Map<String, String> env) {

    public LaunchRequest {
        checkN(n);
        checkCpu(cpu);
        checkMemory(memoryGb);
        checkGpus(gpus);
        Objects.requireNonNull(program, "program: give a script or code (Program.script(...) / Program.code(...))");
        env = Map.copyOf(checkEnv(env == null ? Map.of() : env));
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

        private Builder() {
        }

        /** How many workers to start: at least 1. */
        public Builder n(int n) {
            this.n = checkN(n);
            return this;
        }

        /** CPU cores per worker: more than 0; fractions allowed (0.2). */
        public Builder cpu(double cpu) {
            this.cpu = checkCpu(cpu);
            return this;
        }

        /** Gigabytes of memory per worker: more than 0; fractions allowed (0.5). */
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
            checkEnv(Map.of(Objects.requireNonNull(name, "env name"), Objects.requireNonNull(value, "env value of " + name)));
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> vars) {
            vars.forEach(this::env);
            return this;
        }

        public LaunchRequest build() {
            if (program == null) {
                throw new IllegalArgumentException("a launch needs a script or code: call script(...) or code(...)");
            }
            return new LaunchRequest(n, cpu, memoryGb, gpus, program, env);
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
        return cpu;
    }

    private static double checkMemory(double memoryGb) {
        if (!(memoryGb > 0) || Double.isInfinite(memoryGb)) {
            throw new IllegalArgumentException("memory (GB per worker) must be more than 0 (fractions such as 0.5 are fine), got " + memoryGb);
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
        env.forEach((name, value) -> {
            if (name == null || name.isEmpty() || name.contains("=") || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("env names must be non-empty and contain no '=' or NUL, got '" + name + "'");
            }
            if (value == null || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("env value of " + name + " must be a string without NUL");
            }
        });
        return env;
    }
}
