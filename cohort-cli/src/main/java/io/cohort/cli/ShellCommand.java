package io.cohort.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code cohort shell}: JShell with cohort on its class path and {@code io.cohort.Workers.*}
 * imported. Snippets run in JShell's agent JVM, which is where the default session lives: worker
 * output streams into the console while the user types, and {@code /exit} ends the session.
 */
final class ShellCommand {
    private ShellCommand() {
    }

    static int run(List<String> jshellArgs, PrintStream err) {
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        if (!Files.isExecutable(jshell)) {
            throw new IllegalStateException(jshell + " does not exist: cohort shell needs a full JDK"
                    + " (Debian: apt-get install openjdk-17-jdk-headless)");
        }
        List<String> command = new ArrayList<>(List.of(jshell.toString(),
                "--class-path", System.getProperty("java.class.path"),
                "--startup", "DEFAULT", "--startup", "PRINTING", "--startup", startupFile().toString()));
        // Settings given to this JVM reach the agent JVM, where the session runs.
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("cohort."))
                .forEach(k -> command.add("-R-D" + k + "=" + System.getProperty(k)));
        command.addAll(jshellArgs);
        try {
            Process p = new ProcessBuilder(command).inheritIO().start();
            return p.waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start jshell: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    static Path startupFile() {
        try (InputStream in = ShellCommand.class.getResourceAsStream("startup.jsh")) {
            Path file = Files.createTempFile("cohort-startup", ".jsh");
            file.toFile().deleteOnExit();
            Files.write(file, in.readAllBytes());
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the JShell start-up file: " + e.getMessage(), e);
        }
    }
}
