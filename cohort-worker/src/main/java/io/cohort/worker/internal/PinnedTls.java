package io.cohort.worker.internal;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS that trusts exactly one certificate: the session's own, named by its pin (COHORT_TLS_PIN,
 * "sha256:" and the hex SHA-256 of its DER encoding). No authority, no name check: the certificate
 * the session made is the only one that matches, and any other is refused before a byte is sent.
 */
public final class PinnedTls {
    private PinnedTls() {
    }

    /** A socket factory for connections to the certificate {@code pin} names. */
    public static SSLSocketFactory sockets(String pin) {
        String expected = normalised(pin);
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new Pinned(expected)}, null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS: " + e, e);
        }
    }

    /** The pin as lower-case "sha256:hex"; refuses anything else with a message naming the variable. */
    public static String normalised(String pin) {
        String p = pin.strip().toLowerCase(Locale.ROOT);
        if (!p.matches("sha256:[0-9a-f]{64}")) {
            throw new IllegalArgumentException("COHORT_TLS_PIN must be sha256: and 64 hex digits (the session sets it), got '"
                    + pin + "'");
        }
        return p;
    }

    /** The pin of a certificate. */
    public static String pinOf(X509Certificate certificate) throws CertificateException {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new CertificateException(e);
        }
    }

    private static final class Pinned extends X509ExtendedTrustManager {
        private final String expected;

        Pinned(String expected) {
            this.expected = expected;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the server sent no certificate");
            }
            String got = pinOf(chain[0]);
            if (!MessageDigest.isEqual(got.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    expected.getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                throw new CertificateException("the server's certificate is not the session's: its pin is " + got
                        + ", COHORT_TLS_PIN is " + expected + " (something else answers at COHORT_API, or the session was"
                        + " restarted and this worker holds an old pin)");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a worker's client trusts no client certificates");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
