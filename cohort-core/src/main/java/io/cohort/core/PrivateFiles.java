package io.cohort.core;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the session's folders and files for its user alone: folders 0700, files 0600, whatever
 * the umask. On a file system without POSIX permissions they are created as usual.
 */
public final class PrivateFiles {
    static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() {
    }

    /** Creates the folder and any missing parents below an existing one, each 0700; returns it. */
    public static Path folder(Path folder) throws IOException {
        Path absolute = folder.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return folder;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            folder(parent);
        }
        try {
            Files.createDirectory(absolute, attribute(absolute, FOLDER));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
        restrict(absolute, FOLDER);
        return folder;
    }

    /** Creates the file (empty) 0600 if it does not exist yet, and its folder; returns it. */
    public static Path file(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                folder(parent);
            }
            try {
                Files.createFile(file, attribute(file, FILE));
                restrict(file, FILE);
            } catch (FileAlreadyExistsException e) {
                // Kept as it is: a resumed session's files were made private when they were created.
            }
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    private static FileAttribute<?>[] attribute(Path path, Set<PosixFilePermission> permissions) {
        return posix(path) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)} : new FileAttribute<?>[0];
    }

    /** The umask may have taken bits away; never added any. Sets exactly the permissions wanted. */
    private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
        if (posix(path)) {
            Files.setPosixFilePermissions(path, permissions);
        }
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
