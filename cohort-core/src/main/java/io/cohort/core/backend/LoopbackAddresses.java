package io.cohort.core.backend;

import java.security.SecureRandom;

/**
 * Gives each worker on this host its own address in 127.0.0.0/8 (all of it is loopback on Linux), so two
 * workers can listen on the same port. A session draws its own second octet, so concurrent sessions
 * rarely share addresses.
 */
public final class LoopbackAddresses {
    private final int sessionOctet = 2 + new SecureRandom().nextInt(250);
    private int next;

    public synchronized String next() {
        int n = next++;
        return "127." + sessionOctet + "." + (n / 250 % 256) + "." + (n % 250 + 1);
    }
}
