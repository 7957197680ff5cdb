package io.cohort.kubernetes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Names and labels of the session's objects. Names are DNS-1123 labels (lowercase letters, digits
 * and '-', at most 63 characters, starting and ending with a letter or digit) and the same for the
 * same session and worker, so a name says whose pod it is; what does not fit is shortened with a hash.
 */
final class PodNames {
    static final String SESSION = "cohort.io/session";
    static final String LAUNCH = "cohort.io/launch";
    static final String WORKER = "cohort.io/worker";
    /** The per-session owner object carries this label too, so a stale one can be found and deleted. */
    static final String OWNER = "cohort.io/owner";
    private static final int MAX = 63;

    private PodNames() {
    }

    /** The session's owner ConfigMap. */
    static String owner(String sessionId) {
        return dnsLabel("cohort-" + sessionId);
    }

    /** One worker's pod. */
    static String pod(String sessionId, String workerId) {
        return dnsLabel("cohort-" + sessionId + "-" + workerId);
    }

    static boolean isDnsLabel(String s) {
        return s.length() <= MAX && s.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    }

    /** {@code s} as a DNS-1123 label: lowercased, other characters as '-', shortened with a hash when too long. */
    static String dnsLabel(String s) {
        String clean = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        if (clean.isEmpty()) {
            clean = "x";
        }
        if (clean.length() <= MAX && clean.equals(s)) {
            return clean;
        }
        if (clean.length() <= MAX && !clean.equals(s)) {
            // Two names that differ only where characters were replaced must not meet.
            String h = hash(s);
            String head = clean.length() + 9 <= MAX ? clean : clean.substring(0, MAX - 9).replaceAll("-+$", "");
            return head + "-" + h;
        }
        String head = clean.substring(0, MAX - 9).replaceAll("-+$", "");
        return head + "-" + hash(s);
    }

    /** A label value: at most 63 of [A-Za-z0-9-_.], starting and ending with a letter or digit. */
    static String labelValue(String s) {
        String clean = s.replaceAll("[^A-Za-z0-9_.-]", "-").replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
        if (clean.length() <= MAX && clean.equals(s)) {
            return clean;
        }
        String head = clean.length() <= MAX - 9 ? clean : clean.substring(0, MAX - 9);
        head = head.replaceAll("[^A-Za-z0-9]+$", "");
        return (head.isEmpty() ? "" : head + "-") + hash(s);
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
