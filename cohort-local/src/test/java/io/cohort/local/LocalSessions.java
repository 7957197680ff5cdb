package io.cohort.local;

import io.cohort.Session;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The session set-up that tests on real workers share: {@code @ExtendWith(LocalSessions.class)} opens
 * a real session for each test in a home of its own (a temporary folder), with its console captured,
 * and sets the test's {@code Session} field (and its {@code Fixtures.Console} field, created when it
 * is null); after the test the session is closed, its workers stopped, and the home removed.
 */
final class LocalSessions implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LocalSessions.class);

    /** What one test got: closed after it. */
    private record Opened(Session session, Path home) {
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        Object test = context.getRequiredTestInstance();
        Fixtures.Console console = null;
        Field sessionField = null;
        for (Field f : test.getClass().getDeclaredFields()) {
            if (f.getType() == Fixtures.Console.class) {
                f.setAccessible(true);
                console = (Fixtures.Console) f.get(test);
                if (console == null) {
                    console = new Fixtures.Console();
                    f.set(test, console);
                }
            } else if (f.getType() == Session.class) {
                sessionField = f;
            }
        }
        if (sessionField == null) {
            throw new IllegalStateException(test.getClass().getSimpleName() + " uses LocalSessions but has no Session field to set");
        }
        Path home = Files.createTempDirectory("cohort-test-");
        Session session = Fixtures.open(home, console == null ? new Fixtures.Console() : console);
        sessionField.setAccessible(true);
        sessionField.set(test, session);
        context.getStore(NS).put("opened", new Opened(session, home));
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        Opened opened = context.getStore(NS).remove("opened", Opened.class);
        if (opened == null) {
            return;
        }
        try {
            opened.session().close();
        } finally {
            try (Stream<Path> files = Files.walk(opened.home())) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
