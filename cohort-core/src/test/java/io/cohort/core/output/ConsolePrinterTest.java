package io.cohort.core.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.OutputLine;
import io.cohort.core.WorkerEvent;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The console never holds more than its bound of text: a slow console slows the workers, not the session's memory. */
class ConsolePrinterTest {

    @Test
    void aSlowConsoleHoldsAtMostItsBoundOfTextEvenInMegabyteLines() throws Exception {
        CountDownLatch consoleAwake = new CountDownLatch(1);
        AtomicLong printed = new AtomicLong();
        PrintStream stuck = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    consoleAwake.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                printed.addAndGet(len);
            }
        }, true);
        ConsolePrinter console = new ConsolePrinter(stuck, "test");
        String megabyte = "x".repeat(1 << 20);
        int lines = 40;
        AtomicInteger handed = new AtomicInteger();
        Thread worker = new Thread(() -> {
            for (int i = 0; i < lines; i++) {
                console.accept(new WorkerEvent.Output(new OutputLine("w1", OutputLine.Stream.STDOUT, megabyte)));
                handed.incrementAndGet();
            }
        });
        worker.start();

        // The worker's pump blocks once the bound is queued, with one line in the stuck console's hands.
        await().atMost(Duration.ofSeconds(30)).until(() -> worker.getState() == Thread.State.WAITING);
        int bound = ConsolePrinter.MAX_QUEUED_CHARS >> 20;
        assertThat(handed.get()).isBetween(bound - 1, bound + 1);

        consoleAwake.countDown();
        worker.join(30_000);
        console.close();
        assertThat(handed.get()).isEqualTo(lines);
        assertThat(printed.get()).isGreaterThanOrEqualTo((long) lines * (1 << 20));
    }
}
