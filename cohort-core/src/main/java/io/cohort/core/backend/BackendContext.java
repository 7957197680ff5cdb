package io.cohort.core.backend;

import io.cohort.SessionOptions;
import java.nio.file.Path;

/**
 * What a backend is opened with.
 *
 * @param sessionId        the session's id
 * @param sessionDirectory where the session keeps its files (logs, launches, the database)
 * @param options          the session's options; backend settings are read with {@code options.setting(...)}
 * @param agents           the session's end of the agent protocol, for backends whose workers run elsewhere
 */
public record BackendContext(String sessionId, Path sessionDirectory, SessionOptions options, Agents agents) {
    /**
     * Where a setting can be given, for messages that refuse its value: "the setting KEY (-Dcohort.KEY,
     * COHORT_KEY or the config file)".
     */
    public static String where(String key) {
        return "the setting " + key + " (-Dcohort." + key + ", COHORT_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_')
                + " or the config file)";
    }

    /**
     * A setting's value split into words as a shell would: on whitespace, with '...' or "..." keeping
     * spaces (extra options for sbatch or the agent's JVM).
     *
     * @param key the setting, named when a quote is left open
     */
    public static java.util.List<String> words(String value, String key) {
        java.util.List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (char c : value.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (any || cur.length() > 0) {
                    out.add(cur.toString());
                }
                cur.setLength(0);
                any = false;
            } else {
                cur.append(c);
            }
        }
        if (quote != 0) {
            throw new io.cohort.CohortException(where(key) + " has an unclosed " + quote + ": " + value
                    + "; close it, or quote the other way ('...' inside \"...\")");
        }
        if (any || cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    /**
     * The address other machines most likely reach this host by: this host name's address when it is
     * not loopback, else the first up, non-loopback IPv4 address of an interface, else 127.0.0.1 (a
     * cluster on this machine only). Backends let a setting override it where the guess is wrong.
     */
    public static String hostAddress() {
        try {
            java.net.InetAddress local = java.net.InetAddress.getLocalHost();
            if (!local.isLoopbackAddress() && local instanceof java.net.Inet4Address) {
                return local.getHostAddress();
            }
            for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (nif.isUp() && !nif.isLoopback()) {
                    for (java.net.InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                        if (a instanceof java.net.Inet4Address && !a.isLinkLocalAddress()) {
                            return a.getHostAddress();
                        }
                    }
                }
            }
        } catch (java.io.IOException | SecurityException e) {
            // Fall through to loopback.
        }
        return "127.0.0.1";
    }
}
