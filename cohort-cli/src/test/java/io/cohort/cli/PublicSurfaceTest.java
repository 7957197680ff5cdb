package io.cohort.cli;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Each module's public surface, checked on the main classes of all nine modules (this module's
 * test classpath holds every one; bench at test scope). What {@code module-info.java} files would
 * say, without making every dependency (Jetty's HTTP SPI, sqlite-jdbc, Jackson, JLine, JShell) and
 * surefire run on the module path. A class's module is its package: they map one to one.
 *
 * <p>A module may use another's classes only where that module exports them: to everyone, or to
 * it alone (a qualified export, like {@code exports x to y}). Use through {@code ServiceLoader}
 * (the session factory, the backends) is no class dependency and needs no export. Above that,
 * modules depend only downward, as their poms do. docs/design.md, "Public surface", says why each
 * exception is there.
 */
@AnalyzeClasses(packages = "io.cohort", importOptions = ImportOption.DoNotIncludeTests.class)
class PublicSurfaceTest {
    private static final String API = "cohort-api", WORKER = "cohort-worker", CORE = "cohort-core", LOCAL = "cohort-local",
            SLURM = "cohort-slurm", KUBERNETES = "cohort-kubernetes", CLI = "cohort-cli", EXAMPLES = "examples", BENCH = "bench";

    /**
     * What each module exports to every module: packages ({@code io.cohort.x}, that package only),
     * or package trees ({@code io.cohort.x..}).
     */
    private static final Map<String, List<String>> EXPORTS = Map.of(
            API, List.of("io.cohort", "io.cohort.spi"),
            WORKER, List.of("io.cohort.worker"),
            CORE, List.of("io.cohort.core.backend"),
            LOCAL, List.of(),
            SLURM, List.of(),
            KUBERNETES, List.of(),
            CLI, List.of(),
            EXAMPLES, List.of("io.cohort.examples.."),
            BENCH, List.of());

    /** Qualified exports: a package, package tree or single class (with its nested classes), to the modules named. */
    private record To(String target, Set<String> modules, String because) {
        To(String target, String because, String... modules) {
            this(target, Set.of(modules), because);
        }
    }

    private static final List<To> EXPORTED_TO = List.of(
            // cohort-worker's own internals, shared with the session's side of the project.
            new To("io.cohort.worker.internal..", "the project's internal package: output line splitting (and what the session and its backends share with the agent)",
                    CORE, LOCAL, SLURM),
            new To("io.cohort.worker.agent..", "the Slurm batch script and the Kubernetes pod name the agent's main class and its jar", SLURM, KUBERNETES),
            // The CLI is the session's other face; these are exported to it only.
            new To("io.cohort.core.remote", "cohort ps|logs|stop attach with RemoteSession, whose chunked, long-polled output "
                    + "(logs -f) the Session API does not offer", CLI),
            new To("io.cohort.core.Json", "the connection file is written and read with the mapper the session uses", CLI, BENCH),
            // Benchmarks measure internals on purpose; nothing depends on bench and it is not shipped.
            new To("io.cohort.core.CoreSettings", "benchmark 4 (FanOut) times ProgramPreparer, which takes the session's settings",
                    BENCH),
            new To("io.cohort.core.kernel.ProgramPreparer", "benchmark 4 (FanOut) times a launch's preparation alone", BENCH),
            new To("io.cohort.core.kernel.PreparedProgram", "what ProgramPreparer hands benchmark 4: the command it runs", BENCH),
            new To("io.cohort.local.CgroupProbe", "benchmarks 1 and 4 time the local backend's cgroup bookkeeping", BENCH),
            new To("io.cohort.local.ProcScanProbe", "benchmark 4 times the local backend's /proc scan", BENCH),
            new To("io.cohort.kubernetes.fixtures..", "benchmark 10 runs the Kubernetes backend on the tests' cluster (the kubelet "
                    + "stand-in over fabric8's mock API server), from cohort-kubernetes' test jar", BENCH));

    /** The module a class of cohort belongs to, by its package; null for classes outside cohort. */
    static String module(JavaClass c) {
        String p = c.getPackageName();
        if (p.equals("io.cohort") || p.equals("io.cohort.spi")) {
            return API;
        }
        for (var e : Map.of("io.cohort.worker", WORKER, "io.cohort.core", CORE, "io.cohort.local", LOCAL, "io.cohort.slurm", SLURM,
                "io.cohort.kubernetes", KUBERNETES,
                "io.cohort.cli", CLI, "io.cohort.examples", EXAMPLES, "io.cohort.bench", BENCH).entrySet()) {
            if (p.equals(e.getKey()) || p.startsWith(e.getKey() + ".")) {
                return e.getValue();
            }
        }
        return p.startsWith("io.cohort.") ? "an unknown module (" + p + ")" : null;
    }

    private static boolean matches(String exported, JavaClass target) {
        String p = target.getPackageName();
        if (exported.endsWith("..")) {
            String root = exported.substring(0, exported.length() - 2);
            return p.equals(root) || p.startsWith(root + ".");
        }
        String topLevel = target.getName().contains("$") ? target.getName().substring(0, target.getName().indexOf('$')) : target.getName();
        return p.equals(exported) || topLevel.equals(exported);
    }

    static boolean exported(String from, JavaClass target) {
        String to = module(target);
        return EXPORTS.getOrDefault(to, List.of()).stream().anyMatch(x -> matches(x, target))
                || EXPORTED_TO.stream().anyMatch(q -> q.modules().contains(from) && matches(q.target(), target));
    }

    private static final ArchCondition<JavaClass> USE_OTHER_MODULES_ONLY_THROUGH_THEIR_EXPORTS =
            new ArchCondition<>("use other modules' classes only where those modules export them") {
                @Override
                public void check(JavaClass origin, ConditionEvents events) {
                    String from = module(origin);
                    for (Dependency d : origin.getDirectDependenciesFromSelf()) {
                        JavaClass target = d.getTargetClass();
                        String to = module(target);
                        if (to != null && !to.equals(from) && !exported(from, target)) {
                            events.add(SimpleConditionEvent.violated(d, from + " uses " + target.getName() + ", which " + to
                                    + " does not export to it (exported: " + (EXPORTS.get(to).isEmpty() ? "nothing" : String.join(", ", EXPORTS.get(to)))
                                    + "; anything else goes through ServiceLoader, or is a deliberate qualified export in "
                                    + "PublicSurfaceTest.EXPORTED_TO with its reason and in docs/design.md): " + d.getDescription()));
                        }
                    }
                }
            };

    @ArchTest
    static final ArchRule modules_use_each_other_only_through_their_public_surface = ArchRuleDefinition.classes()
            .should(USE_OTHER_MODULES_ONLY_THROUGH_THEIR_EXPORTS);

    @ArchTest
    static final ArchRule modules_depend_only_downward = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer(API).definedBy("io.cohort", "io.cohort.spi")
            .layer(WORKER).definedBy("io.cohort.worker..")
            .layer(CORE).definedBy("io.cohort.core..")
            .layer(LOCAL).definedBy("io.cohort.local..")
            .layer(SLURM).definedBy("io.cohort.slurm..")
            .layer(KUBERNETES).definedBy("io.cohort.kubernetes..")
            .layer(CLI).definedBy("io.cohort.cli..")
            .layer(EXAMPLES).definedBy("io.cohort.examples..")
            .layer(BENCH).definedBy("io.cohort.bench..")
            .whereLayer(API).mayNotAccessAnyLayer()
            .whereLayer(WORKER).mayNotAccessAnyLayer()
            .whereLayer(CORE).mayOnlyAccessLayers(API, WORKER)
            .whereLayer(LOCAL).mayOnlyAccessLayers(API, WORKER, CORE)
            .whereLayer(SLURM).mayOnlyAccessLayers(API, WORKER, CORE)
            .whereLayer(KUBERNETES).mayOnlyAccessLayers(API, WORKER, CORE)
            .whereLayer(EXAMPLES).mayOnlyAccessLayers(API, WORKER)
            .whereLayer(CLI).mayOnlyAccessLayers(API, WORKER, CORE, LOCAL, SLURM, KUBERNETES, EXAMPLES)
            .whereLayer(BENCH).mayOnlyAccessLayers(API, WORKER, CORE, LOCAL, SLURM, KUBERNETES, EXAMPLES);

    /** The rules above pass trivially on a module that was not imported; every module is, and nothing else. */
    @ArchTest
    static void every_module_is_checked_and_every_class_has_a_module(JavaClasses classes) {
        Set<String> modules = new TreeSet<>();
        classes.forEach(c -> modules.add(module(c)));
        assertThat(modules).containsExactlyInAnyOrder(API, WORKER, CORE, LOCAL, SLURM, KUBERNETES, CLI, EXAMPLES, BENCH);
    }

    /**
     * A class's module is read from its package, so no module may declare a class in another's
     * package (a split package would also slip past a real module-info): each class comes from its
     * package's module, {@code MODULE/target/classes} in the build or {@code MODULE-VERSION.jar}.
     */
    @ArchTest
    static void every_class_comes_from_its_packages_module(JavaClasses classes) {
        List<String> misplaced = new ArrayList<>();
        for (JavaClass c : classes) {
            String module = module(c);
            String from = c.getSource().map(s -> s.getUri().toString()).orElse("an unknown place");
            if (!from.contains("/" + module + "/target/classes/") && !from.matches(".*/" + Pattern.quote(module) + "-[^/]*\\.jar!/.*")) {
                misplaced.add(c.getName() + " is in " + module + "'s package but comes from " + from);
            }
        }
        assertThat(misplaced).as("classes declared in another module's package (one package, one module)").isEmpty();
    }
}
