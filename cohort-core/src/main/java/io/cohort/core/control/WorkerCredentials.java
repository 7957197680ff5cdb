package io.cohort.core.control;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Each worker's own credential, "cw1.WORKER.MAC": the worker's id and an HMAC-SHA256 of it under a
 * secret only the session holds (drawn when the control plane starts). The session keeps no table:
 * a credential is checked by computing its MAC again and comparing in constant time, so a worker can
 * name itself and nobody else, and no worker's credential reveals another's or the session's token.
 */
final class WorkerCredentials {
    static final String PREFIX = "cw1.";
    private final byte[] secret = new byte[32];

    WorkerCredentials() {
        new SecureRandom().nextBytes(secret);
    }

    /** The credential of worker {@code id}, for its COHORT_TOKEN. */
    String issue(String id) {
        return PREFIX + id + "." + mac("worker:" + id);
    }

    /**
     * The secret the members of group {@code name} share, and nobody else (COHORT_GROUP_SECRET: what
     * {@code cohort_workers exec-server} and {@code rsh} check between members). It opens nothing on
     * the control plane: a MAC of another domain than any worker's credential.
     */
    String groupSecret(String name) {
        return "cg1." + mac("group:" + name);
    }

    /** The worker a credential names, or null when {@code presented} is not a credential this session issued. */
    String verify(String presented) {
        if (presented == null || !presented.startsWith(PREFIX)) {
            return null;
        }
        int dot = presented.lastIndexOf('.');
        if (dot <= PREFIX.length()) {
            return null;
        }
        String id = presented.substring(PREFIX.length(), dot);
        byte[] expected = mac("worker:" + id).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, presented.substring(dot + 1).getBytes(StandardCharsets.US_ASCII)) ? id : null;
    }

    private String mac(String id) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(m.doFinal(id.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
