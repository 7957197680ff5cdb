package io.cohort.core.control;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.eclipse.jetty.http.HttpHeader;

/**
 * What a browser holds instead of the token (docs/dashboard.md): a cookie with a credential of its
 * own (256 random bits, never the token), given once to whoever opens the dashboard with the token,
 * and a CSRF value that the dashboard's page carries and sends back as {@value #CSRF_HEADER} on every
 * request that changes something. A cookie alone is therefore enough to read, never to act: another
 * site can make the browser send the cookie (were it not SameSite=Strict), but cannot read the page
 * that holds the CSRF value.
 */
final class BrowserCredential {
    static final String CSRF_HEADER = "X-Cohort-CSRF";
    private final String cookieName;
    private final byte[] credential;
    private final String credentialText;
    private final String csrf;

    /** @param port the control plane's port: cookies do not tell ports apart, so two sessions on one host need two names */
    BrowserCredential(int port) {
        this.cookieName = "cohort_" + port;
        this.credentialText = random();
        this.credential = credentialText.getBytes(StandardCharsets.US_ASCII);
        this.csrf = random();
    }

    private static String random() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The Set-Cookie header's value that hands the credential to a browser. */
    String setCookie() {
        return cookieName + "=" + credentialText + "; Path=/; HttpOnly; SameSite=Strict";
    }

    /** The CSRF value the dashboard's page carries. */
    String csrf() {
        return csrf;
    }

    /** Whether the request's cookies hold this credential (compared in constant time). */
    boolean presented(org.eclipse.jetty.server.Request request) {
        for (String header : request.getHeaders().getValuesList(HttpHeader.COOKIE)) {
            for (String cookie : header.split(";")) {
                String c = cookie.strip();
                int eq = c.indexOf('=');
                if (eq > 0 && c.substring(0, eq).equals(cookieName)
                        && MessageDigest.isEqual(credential, c.substring(eq + 1).strip().getBytes(StandardCharsets.US_ASCII))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the request carries the CSRF value (constant time). */
    boolean csrfPresented(org.eclipse.jetty.server.Request request) {
        String v = request.getHeaders().get(CSRF_HEADER);
        return v != null && MessageDigest.isEqual(csrf.getBytes(StandardCharsets.US_ASCII), v.strip().getBytes(StandardCharsets.US_ASCII));
    }

    /** The Cookie header without this credential, for requests passed on to a worker's app. */
    String withoutCredential(String cookieHeader) {
        StringBuilder out = new StringBuilder();
        for (String cookie : cookieHeader.split(";")) {
            String c = cookie.strip();
            if (!c.isEmpty() && !c.startsWith(cookieName + "=")) {
                out.append(out.isEmpty() ? "" : "; ").append(c);
            }
        }
        return out.toString();
    }
}
