package io.cohort.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds live processes by a session id in their environment, as the guard does. */
final class Processes {
    private Processes() {
    }

    static List<Long> withSession(String sessionId) throws IOException {
        byte[] mark = ("COHORT_SESSION_ID=" + sessionId).getBytes();
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path d : dirs) {
                try {
                    if (Files.readString(d.resolve("stat")).contains(") Z ")) {
                        continue;
                    }
                    byte[] env = Files.readAllBytes(d.resolve("environ"));
                    if (contains(env, mark)) {
                        pids.add(Long.parseLong(d.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // Gone meanwhile.
                }
            }
        }
        return pids;
    }

    private static boolean contains(byte[] env, byte[] mark) {
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == mark.length && java.util.Arrays.equals(env, start, i, mark, 0, mark.length)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }
}
