package io.cohort.cli.r;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A session's live processes: its workers (CDSW_MASTER_ID=ID in their environment) and its `cohort serve --id ID`. */
final class SessionProcesses {
    private SessionProcesses() {
    }

    static List<Long> of(String sessionId) throws IOException {
        byte[] worker = ("CDSW_MASTER_ID=" + sessionId).getBytes();
        byte[] serve = ("--id\0" + sessionId + "\0").getBytes();
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path d : dirs) {
                try {
                    if (Files.readString(d.resolve("stat")).contains(") Z ")) {
                        continue;
                    }
                    if (hasEntry(Files.readAllBytes(d.resolve("environ")), worker)
                            || contains(Files.readAllBytes(d.resolve("cmdline")), serve)) {
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
