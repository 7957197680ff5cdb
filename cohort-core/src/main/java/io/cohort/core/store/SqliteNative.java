package io.cohort.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * SQLite's native library, from a copy kept in the user's cache. Left to itself, sqlite-jdbc writes
 * its 1 MB library out of its jar into the temporary folder at every JVM's start and loads it from
 * there: about 80-120 ms of a session's {@code open()} (its longest step), and a JVM that is killed
 * leaves its copy behind (326 of them, 1 MB each, were found in /tmp on the test machine). The copy
 * is written once per sqlite-jdbc version and platform into
 * {@code $XDG_CACHE_HOME/cohort/native} (default {@code ~/.cache/cohort/native}), in folders only
 * the user can write to, and sqlite-jdbc is pointed at it ({@code org.sqlite.lib.path}). When that
 * cannot be done, or {@code org.sqlite.lib.path} is already set, sqlite-jdbc does as it always does.
 */
final class SqliteNative {
    private SqliteNative() {
    }

    private static boolean prepared;

    /** Points sqlite-jdbc at the cached copy, writing it first if needed; call before its first connection. */
    static synchronized void useCachedCopy() {
        if (prepared || System.getProperty("org.sqlite.lib.path") != null) {
            return;
        }
        prepared = true;
        try {
            String resource = org.sqlite.util.LibraryLoaderUtil.getNativeLibResourcePath();
            String name = org.sqlite.util.LibraryLoaderUtil.getNativeLibName();
            String version = org.sqlite.SQLiteJDBCLoader.getVersion();
            Path cache = cacheRoot();
            if (cache == null || version == null || version.isBlank() || version.contains("/")) {
                return;
            }
            Path dir = cache.resolve("sqlite-jdbc-" + version + "-"
                    + org.sqlite.util.OSInfo.getNativeLibFolderPathForCurrentOS().replace('/', '-'));
            Path lib = dir.resolve(name);
            if (Files.isRegularFile(lib)) {
                privateFolder(dir);
            } else {
                try (InputStream in = SqliteNative.class.getResourceAsStream(resource + "/" + name)) {
                    if (in == null) {
                        return; // not this platform's jar: sqlite-jdbc reports what is missing
                    }
                    privateFolder(cache.getParent());
                    privateFolder(cache);
                    privateFolder(dir);
                    Path part = Files.createTempFile(dir, name, ".part");
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(part, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.setProperty("org.sqlite.lib.path", dir.toString());
            System.setProperty("org.sqlite.lib.name", name);
        } catch (IOException | RuntimeException | LinkageError e) {
            // No cache: sqlite-jdbc extracts its library to the temporary folder, as without this.
        }
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.isAbsolute() ? base.resolve("cohort").resolve("native") : null;
    }

    /** Creates the folder (0700) where missing; an existing one must not be writable by others. */
    private static void privateFolder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        var perms = Files.getPosixFilePermissions(dir);
        if (perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                || perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)
                || !Files.getOwner(dir).equals(Files.getOwner(Path.of(System.getProperty("user.home"))))) {
            throw new IOException(dir + " is writable by others or not the user's: not used for native code");
        }
    }
}
