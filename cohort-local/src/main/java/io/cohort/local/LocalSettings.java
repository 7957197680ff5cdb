package io.cohort.local;

import io.cohort.SessionOptions;
import io.cohort.core.backend.BackendContext;
import java.util.Locale;

/**
 * The local backend's settings (README, "Settings"), read and checked once when a session opens.
 *
 * @param masterIp  the address workers get as the master's (local.masterIp), an IPv4 or IPv6 literal
 * @param cgroups   whether workers get cgroups where they are writable (local.cgroups: auto or off)
 * @param nvidiaSmi the GPU discovery command (local.nvidiaSmi)
 * @param pidNamespace whether workers get a pid namespace each where no cgroup holds their trees and the
 *                  kernel allows one (local.pidNamespace: auto or off)
 * @param netNamespaces whether each worker gets its own network namespace on a session bridge (local.network:
 *                  loopback, the default: a loopback address each; or namespace: root only)
 * @param pidsMax   the most processes and threads one worker may hold at once, so that a fork bomb is
 *                  contained (local.pids: a whole number of at least {@value #MIN_PIDS}, default
 *                  {@value #DEFAULT_PIDS}, or "max" for no limit); enforced where a cgroup pids
 *                  controller is writable, 0 for none
 */
record LocalSettings(String masterIp, boolean cgroups, String nvidiaSmi, boolean pidNamespace, long pidsMax,
                     boolean netNamespaces) {
    static final long DEFAULT_PIDS = 8192;
    static final long MIN_PIDS = 16;

    static LocalSettings from(SessionOptions o) {
        String ip = o.setting("local.masterIp", "127.0.0.1");
        if (!ip.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") && !ip.matches("[0-9A-Fa-f:]+")) {
            throw new IllegalArgumentException(BackendContext.where("local.masterIp") + " must be an IP address of this"
                    + " machine (workers connect to it), such as 127.0.0.1, got '" + ip + "'");
        }
        String cgroups = o.setting("local.cgroups", "auto").toLowerCase(Locale.ROOT);
        if (!cgroups.equals("auto") && !cgroups.equals("off")) {
            throw new IllegalArgumentException(BackendContext.where("local.cgroups") + " is auto (use cgroups where they are"
                    + " writable) or off, got '" + cgroups + "'");
        }
        String smi = o.setting("local.nvidiaSmi", "nvidia-smi");
        if (smi.isBlank()) {
            throw new IllegalArgumentException(BackendContext.where("local.nvidiaSmi") + " must name the GPU discovery command");
        }
        String pidNamespace = o.setting(PidNamespaces.SETTING, "auto").toLowerCase(Locale.ROOT);
        if (!pidNamespace.equals("auto") && !pidNamespace.equals("off")) {
            throw new IllegalArgumentException(BackendContext.where(PidNamespaces.SETTING) + " is auto (a pid namespace per"
                    + " worker where no cgroup holds its processes and the kernel allows one) or off, got '" + pidNamespace + "'");
        }
        String pids = o.setting("local.pids", Long.toString(DEFAULT_PIDS)).strip().toLowerCase(Locale.ROOT);
        long pidsMax;
        if (pids.equals("max")) {
            pidsMax = 0;
        } else {
            try {
                pidsMax = Long.parseLong(pids);
            } catch (NumberFormatException e) {
                pidsMax = -1;
            }
            if (pidsMax < MIN_PIDS) {
                throw new IllegalArgumentException(BackendContext.where("local.pids") + " is the most processes and threads"
                        + " one worker may hold (a whole number of at least " + MIN_PIDS + ", default " + DEFAULT_PIDS
                        + ") or max for no limit, got '" + pids + "'");
            }
        }
        String network = o.setting("local.network", "loopback").strip().toLowerCase(Locale.ROOT);
        if (!network.equals("loopback") && !network.equals("namespace")) {
            throw new IllegalArgumentException(BackendContext.where("local.network") + " is loopback (each worker its own"
                    + " loopback address) or namespace (each worker its own network namespace; root only), got '" + network + "'");
        }
        return new LocalSettings(ip, cgroups.equals("auto"), smi.strip(), pidNamespace.equals("auto"), pidsMax,
                network.equals("namespace"));
    }
}
