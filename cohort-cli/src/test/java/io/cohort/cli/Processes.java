package io.cohort.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Finds a session's live processes in the process table, as the guard does: by the session id in their environment. */
public final class Processes {
    private Processes() {
    }

    /** Live processes (not zombies) whose environment carries COHORT_SESSION_ID=ID: the session's workers. */
    public static List<Long> withSession(String sessionId) throws IOException {
        return matching(("COHORT_SESSION_ID=" + sessionId).getBytes(), null);
    }

    /** The session's workers and its {@code cohort serve --id ID} process. */
    public static List<Long> ofServedSession(String sessionId) throws IOException {
        return matching(("COHORT_SESSION_ID=" + sessionId).getBytes(), ("--id\0" + sessionId + "\0").getBytes());
    }

    private static List<Long> matching(byte[] variable, byte[] commandLinePart) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path d : dirs) {
                try {
                    if (Files.readString(d.resolve("stat")).contains(") Z ")) {
                        continue;
                    }
                    if (hasEntry(Files.readAllBytes(d.resolve("environ")), variable)
                            || commandLinePart != null && contains(Files.readAllBytes(d.resolve("cmdline")), commandLinePart)) {
                        pids.add(Long.parseLong(d.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // Gone meanwhile, or not ours to read.
                }
            }
        }
        return pids;
    }

    private static boolean hasEntry(byte[] env, byte[] entry) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == entry.length && Arrays.equals(env, start, i, entry, 0, entry.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    private static boolean contains(byte[] text, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= text.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (text[i + j] != part[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
