package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.CohortException;
import io.cohort.GroupRole;
import io.cohort.Rendezvous;
import io.cohort.Worker;
import io.cohort.WorkerGroup;
import io.cohort.core.backend.Background;
import io.cohort.core.group.Groups;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/groups/...} (docs/groups.md): launch a group of roles, list and describe groups, await
 * and stop one group's members, and the rendezvous, a long poll that holds no thread while it waits.
 */
final class GroupRoutes {
    /** The longest a rendezvous request waits before answering "not ready yet". */
    static final long MAX_WAIT_MS = 60_000;
    private final SessionRoutes session;

    GroupRoutes(SessionRoutes session) {
        this.session = session;
    }

    void route(Request r, List<String> p) throws IOException, InterruptedException {
        SessionRoutes.Served s = session.servedOr503();
        if (p.size() == 2) {
            switch (r.method) {
                case "GET" -> SessionRoutes.answer(r, s, 200, s.session().groups().stream().map(g -> describe(s, g)).toList());
                case "POST" -> launch(r, s);
                default -> throw new HttpError(405, "/v1/groups takes GET (list) or POST (launch a group), got " + r.method);
            }
            return;
        }
        WorkerGroup g;
        try {
            g = s.session().group(p.get(2));
        } catch (CohortException e) {
            throw new HttpError(404, e.getMessage());
        }
        String action = p.size() > 3 ? p.get(3) : "";
        if (p.size() > 4) {
            throw new HttpError(404, "no such endpoint: " + r.rawPath() + " (/v1/groups/NAME, /await, /stop, /rendezvous)");
        }
        switch (action) {
            case "" -> {
                r.expect("GET");
                SessionRoutes.answer(r, s, 200, describe(s, g));
            }
            case "await" -> {
                r.expect("POST");
                JsonNode body = r.json();
                SessionRoutes.known(body, Set.of("wait_for_completion", "timeout_seconds"));
                List<String> ids = g.workers().stream().map(Worker::id).toList();
                session.waiting(() -> SessionRoutes.await(r, s, body, ids));
            }
            case "stop" -> {
                r.expect("POST");
                SessionRoutes.answer(r, s, 200, SessionRoutes.describe(s, g.stop()));
            }
            case "rendezvous" -> rendezvous(r, g);
            default -> throw new HttpError(404, "no group action '" + action + "' (await, stop, rendezvous)");
        }
    }

    /** {@code POST /v1/groups}: {"name": "dask", "roles": [{"role": "scheduler", launch fields...}, ...]}. */
    private void launch(Request r, SessionRoutes.Served s) throws IOException {
        JsonNode body = r.json();
        SessionRoutes.known(body, Set.of("name", "roles"));
        String name = SessionRoutes.text(body, "name");
        JsonNode roles = body.get("roles");
        if (name.isBlank() || roles == null || !roles.isArray() || roles.isEmpty()) {
            throw new HttpError(400, "send {\"name\": \"dask\", \"roles\": [{\"role\": \"scheduler\", \"n\": 1, \"cpu\": 1,"
                    + " \"memory\": 1, \"code\": \"...\"}, ...]}");
        }
        List<GroupRole> parts = new ArrayList<>();
        Set<String> fields = new java.util.HashSet<>(SessionRoutes.LAUNCH_FIELDS);
        fields.remove("group");
        for (JsonNode role : roles) {
            if (!role.isObject()) {
                throw new HttpError(400, "each role is an object with \"role\" and a launch's fields, got " + role);
            }
            SessionRoutes.known(role, fields);
            String roleName = SessionRoutes.text(role, "role");
            parts.add(SessionRoutes.role(roleName.isBlank() ? "worker" : roleName, SessionRoutes.launchRequest(role)));
        }
        WorkerGroup g = SessionRoutes.launchGroup(s, name, parts);
        SessionRoutes.answer(r, s, 200, describe(s, g));
    }

    /**
     * {@code POST /v1/groups/NAME/rendezvous} {"wait_ms": T}: the rendezvous once the group is ready;
     * {"ready": false, ...} when T passes first; 409 naming the member when one ended first.
     */
    private void rendezvous(Request r, WorkerGroup g) throws IOException {
        r.expect("POST");
        JsonNode body = r.json();
        SessionRoutes.known(body, Set.of("wait_ms"));
        long wait = Request.longField(body, "wait_ms", 30_000, 0, MAX_WAIT_MS);
        CompletableFuture<Object> answer = new CompletableFuture<>();
        CompletableFuture<Rendezvous> ready = g.ready();
        ready.whenComplete((rv, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(failure instanceof java.util.concurrent.CompletionException c ? c.getCause() : failure);
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("ready", true);
                m.putAll(Groups.json(rv));
                answer.complete(m);
            }
        });
        if (!answer.isDone()) {
            var timeout = Background.after(Duration.ofMillis(wait), "a rendezvous request's timeout", () -> answer.complete(notReady(g)));
            answer.whenComplete((v, e) -> timeout.cancel(false));
        }
        r.answerLater(answer, undelivered -> { });
    }

    private static Map<String, Object> notReady(WorkerGroup g) {
        List<String> waiting = new ArrayList<>();
        for (Worker w : g.workers()) {
            if (w.status() != io.cohort.Status.RUNNING || Boolean.FALSE.equals(w.ready())) {
                waiting.add(w.id());
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ready", false);
        m.put("group", g.name());
        m.put("waiting_for", waiting);
        return m;
    }

    private static Map<String, Object> describe(SessionRoutes.Served s, WorkerGroup g) {
        List<Worker> members = g.workers();
        CompletableFuture<Rendezvous> ready = g.ready();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", g.name());
        m.put("size", members.size());
        m.put("ready", ready.isDone() && !ready.isCompletedExceptionally());
        String failed = null;
        if (ready.isCompletedExceptionally()) {
            try {
                ready.join();
            } catch (java.util.concurrent.CompletionException e) {
                failed = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            }
        }
        m.put("failed", failed);
        m.put("rendezvous", ready.isDone() && !ready.isCompletedExceptionally() ? Groups.json(ready.join()) : null);
        m.put("workers", SessionRoutes.describe(s, members));
        return m;
    }
}
