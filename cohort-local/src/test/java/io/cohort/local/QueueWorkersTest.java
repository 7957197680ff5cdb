package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.DeadLetter;
import io.cohort.Kernel;
import io.cohort.LaunchRequest;
import io.cohort.OutputLine;
import io.cohort.Program;
import io.cohort.QueueOptions;
import io.cohort.QueueProgress;
import io.cohort.Result;
import io.cohort.Session;
import io.cohort.Snapshot;
import io.cohort.Status;
import io.cohort.WorkQueue;
import io.cohort.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Real workers in every language drain queues, store results and snapshots, and fail items. */
@ExtendWith(LocalSessions.class)
class QueueWorkersTest {
    Fixtures.Console console = new Fixtures.Console();
    Session session;

    private WorkQueue filled(String name, int n) {
        WorkQueue q = session.queue(name);
        List<Map<String, Object>> items = new ArrayList<>();
        IntStream.range(0, n).forEach(i -> items.add(Map.of("i", i, "lr", i / 100.0)));
        q.putAll(items);
        q.close();
        return q;
    }

    @Test
    void javaPythonRAndShellWorkersDrainQueuesStoreResultsAndSnapshots() {
        // One queue per language, drained at the same time, so each language's library is checked on its own.
        List<String> languages = List.of("java", "python", "r", "shell");
        for (String language : languages) {
            filled(language, 15);
        }
        session.launch(LaunchRequest.of(1, 0.5, 0.5, Program.code("""
                for (var item : io.cohort.worker.Cohort.queue("java")) {
                    int i = item.getInt("i");
                    io.cohort.worker.Cohort.results().put("java/r" + i, Map.of("square", i * i));
                    io.cohort.worker.Cohort.snapshots().save("java-model-" + i, ("weights " + i).getBytes());
                }""")));
        session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.PYTHON3, """
                import cohort_client as cohort
                for item in cohort.queue("python", batch=3):
                    i = item.value["i"]
                    cohort.results.put("python/r%d" % i, {"square": i * i})
                    cohort.snapshots.save("python-model-%d" % i, b"weights %d" % i)
                """)));
        session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.R, """
                source(Sys.getenv("COHORT_R_CLIENT"))
                cohort_for_each("r", function(item) {
                  i <- item$value$i
                  cohort_result_put(paste0("r/r", i), list(square = i * i))
                  cohort_snapshot_save(paste0("r-model-", i), charToRaw(paste("weights", i)))
                })
                """)));
        // The documented curl example, as a shell worker.
        session.launch(LaunchRequest.of(1, 0.5, 0.2, Program.shell("""
                auth="Authorization: Bearer $COHORT_TOKEN"
                while true; do
                  r=$(curl -sf -X POST -H "$auth" -H "X-Cohort-Worker: $CDSW_ENGINE_ID" -d '{"max":1,"wait_ms":5000}' "$COHORT_API/v1/queues/shell/take") || exit 1
                  case "$r" in *'"done":true'*) exit 0;; esac
                  id=$(echo "$r" | sed -n 's/.*"id":\\([0-9]*\\).*/\\1/p')
                  i=$(echo "$r" | sed -n 's/.*"i":\\([0-9]*\\).*/\\1/p')
                  [ -z "$id" ] && continue
                  curl -sf -X PUT -H "$auth" -H "X-Cohort-Worker: $CDSW_ENGINE_ID" -H "X-Cohort-Item: $id" -d "{\\"square\\":$((i*i))}" "$COHORT_API/v1/results/shell/r$i" >/dev/null || exit 1
                  printf 'weights %s' "$i" | curl -sf -X PUT -H "$auth" -H "X-Cohort-Item: $id" --data-binary @- "$COHORT_API/v1/snapshots/shell-model-$i" >/dev/null || exit 1
                  curl -sf -X POST -H "$auth" -H "X-Cohort-Worker: $CDSW_ENGINE_ID" -d "{\\"ids\\":[$id]}" "$COHORT_API/v1/queues/shell/ack" >/dev/null || exit 1
                done
                """)));

        for (String language : languages) {
            QueueProgress p = session.queue(language).awaitDrained(Duration.ofSeconds(120));
            assertThat(p.drained()).as("queue %s", language).isTrue();
            assertThat(p.done()).as("queue %s", language).isEqualTo(15);
        }
        assertThat(session.await(List.of(), true, Duration.ofSeconds(60)).failures()).isEmpty();
        for (int w = 0; w < languages.size(); w++) {
            String language = languages.get(w);
            List<Result> results = session.results().withPrefix(language + "/r");
            assertThat(results).as("results of the %s worker", language).hasSize(15);
            for (Result r : results) {
                int i = Integer.parseInt(r.key().substring(language.length() + 2));
                assertThat(((Map<?, ?>) r.value()).get("square")).isEqualTo(i * i);
                assertThat(r.workerId()).isEqualTo("w" + (w + 1));
                assertThat(r.itemId()).as("result %s is tagged with its item", r.key()).isNotNull();
                Snapshot s = session.snapshots().get(language + "-model-" + i).orElseThrow();
                assertThat(s.itemId()).isEqualTo(r.itemId());
                assertThat(new String(session.snapshots().read(s.name()))).isEqualTo("weights " + i);
            }
        }
        assertThat(console.lines()).anyMatch(l -> l.startsWith("[python] [########################] 15/15 done"));
    }

    @Test
    void javaWorkersThatAcknowledgeWithoutWaitingDoEveryItemOnceAndEndWhenTheQueueIsDrained() {
        filled("async", 60);
        // Two workers, single items and batches: each item's result is stored under its own key, once.
        String code = """
                for (var item : io.cohort.worker.Cohort.queue("async").batch(%d).asyncAck()) {
                    io.cohort.worker.Cohort.results().put("async/" + item.getInt("i"), Map.of("attempt", item.attempt()));
                }""";
        List<Worker> ws = new ArrayList<>(session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(code.formatted(1)))));
        ws.addAll(session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(code.formatted(7)))));

        assertThat(session.await(ws, true, Duration.ofSeconds(120)).failures()).isEmpty();
        // Each loop ended on "done", which came only once every acknowledgement was stored.
        QueueProgress p = session.queue("async").progress();
        assertThat(p.drained()).isTrue();
        assertThat(p.done()).isEqualTo(60);
        assertThat(session.results().withPrefix("async/")).hasSize(60)
                .allSatisfy(r -> assertThat(((Map<?, ?>) r.value()).get("attempt")).isEqualTo(1));
    }

    @Test
    void pythonWorkersThatAcknowledgeWithoutWaitingDoEveryItemOnceAndEndWhenTheQueueIsDrained() {
        filled("pyasync", 40);
        // Each worker records what its takes asked for, to show the flag went out.
        String code = """
                import cohort_client as cohort
                sent = []
                call = cohort._call
                def recording(method, path, *args, **kw):
                    if path.endswith("/take"):
                        sent.append(args[0].get("ack_wait", True))
                    return call(method, path, *args, **kw)
                cohort._call = recording
                for item in cohort.queue("pyasync", batch=%d, async_ack=True):
                    cohort.results.put("pyasync/%%d" %% item.value["i"], {"attempt": item.attempt})
                print("takes without waiting:", all(v is False for v in sent))
                print("takes:", len(sent))
                """;
        List<Worker> ws = new ArrayList<>(session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.PYTHON3,
                code.formatted(1)))));
        ws.addAll(session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.PYTHON3, code.formatted(5)))));

        assertThat(session.await(ws, true, Duration.ofSeconds(120)).failures()).isEmpty();
        int takes = 0;
        for (Worker w : ws) {
            List<String> out = session.output(w).stream().map(io.cohort.OutputLine::text).toList();
            assertThat(out).contains("takes without waiting: True");
            takes += out.stream().filter(l -> l.startsWith("takes: ")).mapToInt(l -> Integer.parseInt(l.substring(7))).sum();
        }
        // 40 items, at most 5 a take: acknowledgements rode on later takes.
        assertThat(takes).isGreaterThanOrEqualTo(9);
        QueueProgress p = session.queue("pyasync").progress();
        assertThat(p.drained()).isTrue();
        assertThat(p.done()).isEqualTo(40);
        assertThat(session.results().withPrefix("pyasync/")).hasSize(40)
                .allSatisfy(r -> assertThat(((Map<?, ?>) r.value()).get("attempt")).isEqualTo(1));
    }

    @Test
    void rWorkersThatAcknowledgeWithoutWaitingDoEveryItemOnce() {
        filled("rasync", 20);
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.R, """
                source(Sys.getenv("COHORT_R_CLIENT"))
                sent <- c()
                call <- .cohort_call
                .cohort_call <- function(method, path, value = NULL, ...) {
                  if (endsWith(path, "/take")) sent <<- c(sent, isFALSE(value$ack_wait))
                  call(method, path, value, ...)
                }
                cohort_for_each("rasync", function(item) {
                  cohort_result_put(paste0("rasync/", item$value$i), list(attempt = item$attempt))
                }, batch = 3, async_ack = TRUE)
                cat("takes without waiting:", all(sent), length(sent) > 1, "\n")
                """)));

        assertThat(session.await(ws, true, Duration.ofSeconds(120)).failures()).isEmpty();
        assertThat(session.output(ws.get(0))).extracting(io.cohort.OutputLine::text).contains("takes without waiting: TRUE TRUE ");
        assertThat(session.queue("rasync").progress().done()).isEqualTo(20);
        assertThat(session.results().withPrefix("rasync/")).hasSize(20)
                .allSatisfy(r -> assertThat(((Map<?, ?>) r.value()).get("attempt")).isEqualTo(1));
    }

    @Test
    void anExceptionOutOfTheJavaLoopFailsTheItemAndItIsDeadLetteredAfterMaxAttempts() {
        WorkQueue q = session.queue("risky", QueueOptions.DEFAULTS.withMaxAttempts(2));
        q.putAll(List.of(1, 2, 13, 4));
        q.close();
        String code = """
                for (var item : io.cohort.worker.Cohort.queue("risky")) {
                    long n = (Long) item.value();
                    if (n == 13) throw new IllegalStateException("unlucky " + n);
                    io.cohort.worker.Cohort.results().put("n" + n, n);
                }""";
        // Each worker that meets 13 dies with it; the next one carries on.
        for (int round = 0; round < 3 && !q.progress().drained(); round++) {
            List<Worker> ws = session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(code)));
            session.await(ws, true, Duration.ofSeconds(60));
        }

        assertThat(q.progress().drained()).isTrue();
        assertThat(q.progress().done()).isEqualTo(3);
        List<DeadLetter> dead = q.deadLetters();
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.json()).isEqualTo("13");
            assertThat(d.attempts()).isEqualTo(2);
            assertThat(d.error()).contains("java.lang.IllegalStateException: unlucky 13");
        });
        assertThat(session.results().list()).extracting(Result::key).containsExactly("n1", "n2", "n4");
        assertThat(session.list()).filteredOn(w -> w.status() == Status.FAILED).hasSize(2);
    }

    @Test
    void pythonForEachFailsAnItemAndGoesOn() {
        WorkQueue q = session.queue("py", QueueOptions.DEFAULTS.withMaxAttempts(1));
        q.putAll(List.of("ok", "bad", "fine"));
        q.close();
        session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.PYTHON3, """
                import cohort_client as cohort
                def work(item):
                    if item.value == "bad":
                        raise ValueError("cannot do " + item.value)
                    cohort.results.put(item.value, True)
                cohort.for_each("py", work)
                """)));

        QueueProgress p = q.awaitDrained(Duration.ofSeconds(60));

        assertThat(p.done()).isEqualTo(2);
        assertThat(p.failed()).isEqualTo(1);
        assertThat(q.deadLetters().get(0).error()).contains("ValueError: cannot do bad");
        assertThat(session.await(List.of(), true, Duration.ofSeconds(30)).failures()).isEmpty();
    }

    @Test
    void producersCanAddWhileWorkersRunWithKeysThatDeduplicate() {
        WorkQueue q = session.queue("links");
        q.putUnique("/", "/");
        // A tiny crawl: every page links to two children and back to the root; each page is visited once.
        session.launch(LaunchRequest.of(2, 0.5, 0.3, Program.code(Kernel.PYTHON3, """
                import cohort_client as cohort
                for item in cohort.queue("links"):
                    page = item.value
                    cohort.results.put(page, {"visited": True})
                    if len(page) < 6:
                        for child in (page + "a", page + "b", "/"):
                            cohort.put("links", child, key=child)
                """)));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                .failFast("a worker ended", () -> session.list().stream().filter(w -> w.status().isFinal())
                        .map(w -> w + " " + session.output(w)).findFirst().orElse(null) != null)
                .until(() -> q.progress().done() == 63 && q.progress().inFlight() == 0 && q.progress().ready() == 0);
        q.close();

        QueueProgress p = q.awaitDrained(Duration.ofSeconds(60));

        assertThat(p.added()).isEqualTo(63);
        assertThat(session.results().count()).isEqualTo(63);
        assertThat(session.await(List.of(), true, Duration.ofSeconds(30)).failures()).isEmpty();
    }

    @Test
    void awaitDrainedReturnsWhenNoWorkerIsLeftAndSaysSo() {
        WorkQueue q = filled("orphaned", 5);
        List<Worker> ws = session.launch(LaunchRequest.of(1, 0.5, 0.2, Program.shell("exit 0")));
        session.await(ws, true, Duration.ofSeconds(30));

        QueueProgress p = q.awaitDrained(Duration.ZERO);

        assertThat(p.drained()).isFalse();
        assertThat(p.ready()).isEqualTo(5);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> console.lines().contains("[orphaned] not drained: no worker of the session is running"));
    }

    @Test
    void aStoppedWorkersItemGoesBackWithoutUsingAnAttempt() {
        WorkQueue q = session.queue("slow", QueueOptions.DEFAULTS.withMaxAttempts(1));
        q.put("long job");
        q.close();
        List<Worker> first = session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.PYTHON3, """
                import time, cohort_client as cohort
                for item in cohort.queue("slow"):
                    print("working", flush=True)
                    time.sleep(300)
                """)));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> session.output(first.get(0)).stream().map(OutputLine::text).anyMatch("working"::equals));
        session.stop(first);

        assertThat(q.progress().ready()).isEqualTo(1);
        session.launch(LaunchRequest.of(1, 0.5, 0.3, Program.code(Kernel.PYTHON3, """
                import cohort_client as cohort
                for item in cohort.queue("slow"):
                    cohort.results.put("done", item.attempt)
                """)));
        assertThat(q.awaitDrained(Duration.ofSeconds(60)).done()).isEqualTo(1);
        assertThat(session.results().get("done").orElseThrow().value()).isEqualTo(1);
    }
}
