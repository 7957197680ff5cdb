package io.cohort;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a session is set up. Defaults come from system properties ({@code -Dcohort.backend=slurm}),
 * then environment variables ({@code COHORT_BACKEND=slurm}), then the config file (a properties
 * file: {@code -Dcohort.config} or {@code COHORT_CONFIG}, else {@code ~/.cohort/config.properties},
 * with lines such as {@code backend=slurm} and {@code slurm.partition=gpu}); the builder overrides all.
 *
 * @param home             where session directories are created (default ~/.cohort/sessions)
 * @param workingDirectory where workers start (default: the JVM's working directory)
 * @param backend          which backend starts workers (default "local")
 * @param console          where worker output is printed, or null for none (default System.out)
 * @param cpuOvercommit    how many times the machine's cores may be handed out (default 1)
 * @param stopGrace        how long a stopped worker gets to exit before it is killed (default 5 s)
 * @param settings         backend settings, e.g. "local.cgroups" = "off"; keys without the "cohort." prefix
 * @param fileSettings     the config file's settings, read once when the options were built (empty when there is none)
 */
public record SessionOptions(Path home, Path workingDirectory, String backend, PrintStream console,
                             double cpuOvercommit, Duration stopGrace, Map<String, String> settings,
                             Map<String, String> fileSettings) {

    public SessionOptions {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(stopGrace, "stopGrace");
        settings = Map.copyOf(settings);
        fileSettings = Map.copyOf(fileSettings);
    }

    /** A backend setting, from the builder, then -Dcohort.KEY, then COHORT_KEY (dots as underscores), then the config file. */
    public String setting(String key, String fallback) {
        String v = settings.get(key);
        if (v == null) {
            v = configured(key, fileSettings);
        }
        return v == null ? fallback : v;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A setting from -Dcohort.KEY, COHORT_KEY or the config file (read now), or null. */
    static String configured(String key) {
        return configured(key, fileSettings(configFile()));
    }

    private static String configured(String key, Map<String, String> file) {
        String v = System.getProperty("cohort." + key);
        if (v == null) {
            v = System.getenv("COHORT_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_'));
        }
        if (v == null) {
            v = file.get(key);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static Map<String, String> fileSettings(java.util.Properties p) {
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    /** The config file's settings; none when it does not exist. A file that cannot be read is an error. */
    static java.util.Properties configFile() {
        String named = System.getProperty("cohort.config", System.getenv("COHORT_CONFIG"));
        Path file = named != null && !named.isBlank() ? Path.of(named)
                : Path.of(System.getProperty("user.home"), ".cohort", "config.properties");
        java.util.Properties p = new java.util.Properties();
        if (named == null && !java.nio.file.Files.exists(file)) {
            return p;
        }
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(file)) {
            p.load(r);
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read the cohort config file " + file + ": " + e.getMessage()
                    + (named != null ? " (named by cohort.config / COHORT_CONFIG)" : ""), e);
        }
        return p;
    }

    public static final class Builder {
        private Path home;
        private Path workingDirectory;
        private String backend;
        private PrintStream console = System.out;
        private boolean consoleSet;
        private Double cpuOvercommit;
        private Duration stopGrace;
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder home(Path home) {
            this.home = Objects.requireNonNull(home, "home");
            return this;
        }

        public Builder workingDirectory(Path dir) {
            this.workingDirectory = Objects.requireNonNull(dir, "workingDirectory");
            return this;
        }

        public Builder backend(String name) {
            this.backend = Objects.requireNonNull(name, "backend");
            return this;
        }

        /** Where worker output is printed; null prints nothing. */
        public Builder console(PrintStream console) {
            this.console = console;
            this.consoleSet = true;
            return this;
        }

        public Builder cpuOvercommit(double factor) {
            if (!(factor >= 1) || Double.isInfinite(factor)) {
                throw new IllegalArgumentException("cpuOvercommit must be a finite number of at least 1 (1 = no overcommit), got " + factor);
            }
            this.cpuOvercommit = factor;
            return this;
        }

        public Builder stopGrace(Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("stopGrace must be zero or more, got " + grace);
            }
            this.stopGrace = grace;
            return this;
        }

        public Builder setting(String key, String value) {
            settings.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value of " + key));
            return this;
        }

        /** The options; the config file is read here, once, and later lookups use what was read. */
        public SessionOptions build() {
            Map<String, String> file = fileSettings(configFile());
            Path h = home != null ? home : pathOr(file, "home", Path.of(System.getProperty("user.home"), ".cohort", "sessions"));
            Path wd = workingDirectory != null ? workingDirectory : Path.of("").toAbsolutePath();
            String b = backend != null ? backend : orDefault(configured("backend", file), "local");
            PrintStream c = consoleSet ? console : ("off".equals(configured("console", file)) ? null : System.out);
            double oc = cpuOvercommit != null ? cpuOvercommit : parse(file, "cpuOvercommit", 1.0);
            Duration g = stopGrace != null ? stopGrace : Duration.ofMillis((long) (parse(file, "stopGraceSeconds", 5.0) * 1000));
            if (oc < 1) {
                throw new IllegalArgumentException("cohort.cpuOvercommit must be at least 1, got " + oc);
            }
            if (g.isNegative()) {
                throw new IllegalArgumentException("cohort.stopGraceSeconds must be zero or more, got " + g.toMillis() / 1000.0);
            }
            return new SessionOptions(h.toAbsolutePath(), wd.toAbsolutePath(), b, c, oc, g, settings, file);
        }

        private static Path pathOr(Map<String, String> file, String key, Path fallback) {
            String v = configured(key, file);
            return v == null ? fallback : Path.of(v);
        }

        private static String orDefault(String v, String fallback) {
            return v == null ? fallback : v;
        }

        private static double parse(Map<String, String> file, String key, double fallback) {
            String v = configured(key, file);
            if (v == null) {
                return fallback;
            }
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("cohort." + key + " must be a number, got '" + v + "'");
            }
        }
    }
}
