package io.cohort.core.kernel;

import io.cohort.CohortException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds an interpreter the way a shell would, with an error that says how to get it. */
final class Executables {
    private Executables() {
    }

    static String resolve(String command, String kernel, String settingKey, String debianPackage) {
        if (command.contains("/")) {
            if (Files.isExecutable(Path.of(command))) {
                return command;
            }
            throw missing(command + " does not exist or is not executable", kernel, settingKey, debianPackage);
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return Path.of(dir, command).toString();
            }
        }
        throw missing("'" + command + "' is not on the PATH (" + path + ")", kernel, settingKey, debianPackage);
    }

    private static CohortException missing(String what, String kernel, String settingKey, String debianPackage) {
        return new CohortException("kernel " + kernel + " cannot run: " + what + ". Install it"
                + (debianPackage == null ? "" : " (Debian: apt-get install " + debianPackage + ")")
                + " or set -Dcohort." + settingKey + "=/path/to/it");
    }
}
