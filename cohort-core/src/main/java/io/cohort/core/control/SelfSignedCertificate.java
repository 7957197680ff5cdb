package io.cohort.core.control;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The session's own TLS certificate: a fresh EC P-256 key pair and a self-signed X.509 certificate
 * for the session's address, made when the session opens and never written to disk. Workers trust it
 * by its fingerprint ({@link #pin()}), not through any authority, so nothing but the key's owner can
 * answer for it. Encoded here in DER with the JDK's own signature, so cohort carries no crypto library.
 *
 * @param keyStore the key and certificate, for the TLS connector (its password is {@link #PASSWORD})
 * @param pin      "sha256:" and the lower-case hex SHA-256 of the certificate's DER encoding: COHORT_TLS_PIN
 */
record SelfSignedCertificate(KeyStore keyStore, String pin) {
    /** The in-memory key store's password; the store never leaves the session's memory. */
    static final String PASSWORD = "cohort";

    /** A certificate naming {@code host} (an IP address or a DNS name) and valid for a year. */
    static SelfSignedCertificate create(String host) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair keys = g.generateKeyPair();
            byte[] ecdsaWithSha256 = oid(1, 2, 840, 10045, 4, 3, 2);
            byte[] algorithm = seq(ecdsaWithSha256);
            byte[] name = seq(set(seq(oid(2, 5, 4, 3), tlv(0x0C, ("cohort session " + host).getBytes(StandardCharsets.UTF_8)))));
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            byte[] validity = seq(time(now.minus(1, ChronoUnit.HOURS)), time(now.plus(365, ChronoUnit.DAYS)));
            byte[] serial = tlv(0x02, new BigInteger(63, new SecureRandom()).add(BigInteger.ONE).toByteArray());
            byte[] san = seq(oid(2, 5, 29, 17), tlv(0x04, seq(alternativeNames(host))));
            byte[] tbs = seq(tlv(0xA0, tlv(0x02, new byte[] {2})), serial, algorithm, name, validity, name,
                    keys.getPublic().getEncoded(), tlv(0xA3, seq(san)));
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(keys.getPrivate());
            s.update(tbs);
            byte[] signature = s.sign();
            byte[] bits = new byte[signature.length + 1];
            System.arraycopy(signature, 0, bits, 1, signature.length);
            byte[] der = seq(tbs, algorithm, tlv(0x03, bits));
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
            certificate.verify(keys.getPublic());
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("cohort", keys.getPrivate(), PASSWORD.toCharArray(), new X509Certificate[] {certificate});
            return new SelfSignedCertificate(store, pin(certificate.getEncoded()));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot make the session's TLS certificate for " + host + ": " + e, e);
        }
    }

    /** The pin of a certificate's DER bytes: "sha256:" and its SHA-256 in lower-case hex. */
    static String pin(byte[] der) throws GeneralSecurityException {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    }

    /** The subject alternative names: the address as an IP (and, for a loopback one, "localhost"), or a DNS name. */
    private static byte[] alternativeNames(String host) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (host.matches("[0-9.]+") || host.contains(":")) {
            InetAddress a = InetAddress.getByName(host);
            out.write(tlv(0x87, a.getAddress()));
            if (a.isLoopbackAddress()) {
                out.write(tlv(0x82, "localhost".getBytes(StandardCharsets.US_ASCII)));
            }
        } else {
            out.write(tlv(0x82, host.getBytes(StandardCharsets.US_ASCII)));
        }
        return out.toByteArray();
    }

    private static byte[] time(Instant t) {
        String text = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t);
        return tlv(0x17, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] oid(int... arcs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int v = arcs[i];
            int shift = 28;
            while (shift > 0 && (v >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                out.write(0x80 | ((v >>> shift) & 0x7F));
            }
            out.write(v & 0x7F);
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One DER element: tag, definite length, contents. */
    private static byte[] tlv(int tag, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = contents.length;
        if (n < 128) {
            out.write(n);
        } else if (n < 256) {
            out.write(0x81);
            out.write(n);
        } else {
            out.write(0x82);
            out.write(n >>> 8);
            out.write(n & 0xFF);
        }
        out.writeBytes(contents);
        return out.toByteArray();
    }
}
