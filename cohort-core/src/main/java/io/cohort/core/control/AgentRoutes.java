package io.cohort.core.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.OutputLine;
import io.cohort.core.Json;
import io.cohort.core.agent.AgentRegistry;
import io.cohort.core.backend.WorkerSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/agents/{worker}/...}: what the agents of remote workers call (docs/control-plane.md,
 * "Agents"). spec, started, output, poll (the heartbeat, a long poll that answers a stop at once),
 * exited.
 */
final class AgentRoutes {
    /** The longest a poll waits before answering "no stop". */
    static final long MAX_POLL_MS = 30_000;
    private final AgentRegistry agents;

    AgentRoutes(AgentRegistry agents) {
        this.agents = agents;
    }

    void route(Request r, List<String> p) throws IOException {
        if (p.size() != 4) {
            throw new HttpError(404, "agent endpoints are /v1/agents/{worker}/{spec|started|output|poll|exited}, got "
                    + r.rawPath());
        }
        String caller = r.header("X-Cohort-Worker");
        if (caller != null && !caller.equals(p.get(2))) {
            throw new HttpError(403, "worker '" + caller + "' may only speak for itself, not for '" + p.get(2) + "'");
        }
        AgentRegistry.Agent agent;
        try {
            agent = agents.agent(p.get(2));
        } catch (AgentRegistry.NoSuchAgent e) {
            throw new HttpError(404, e.getMessage());
        }
        switch (p.get(3)) {
            case "spec" -> {
                r.expect("GET");
                WorkerSpec s = agent.spec();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("worker", s.workerId());
                m.put("command", s.command());
                m.put("env", s.env());
                m.put("directory", s.workingDirectory().toString());
                r.answer(200, m);
            }
            case "started" -> {
                r.expect("POST");
                JsonNode b = r.json();
                long pid = Request.longField(b, "pid", -1, 1, Long.MAX_VALUE);
                JsonNode address = b.get("address");
                if (address == null || !address.isTextual() || address.asText().isBlank()) {
                    throw new HttpError(400, "\"address\" (the worker's IP address) is required");
                }
                List<Integer> gpus = new ArrayList<>();
                JsonNode g = b.get("gpus");
                if (g != null && g.isArray()) {
                    g.forEach(n -> gpus.add(n.asInt()));
                }
                agent.started(pid, address.asText(), gpus);
                r.answer(200, Map.of());
            }
            case "output" -> {
                r.expect("POST");
                JsonNode lines = r.json().get("lines");
                if (lines == null || !lines.isArray()) {
                    throw new HttpError(400, "send {\"lines\": [[\"out\" or \"err\", text], ...]}");
                }
                List<OutputLine> out = new ArrayList<>(lines.size());
                for (JsonNode l : lines) {
                    if (!l.isArray() || l.size() != 2 || !l.get(1).isTextual()) {
                        throw new HttpError(400, "each line is [\"out\" or \"err\", text], got " + l);
                    }
                    String stream = l.get(0).asText();
                    if (!stream.equals("out") && !stream.equals("err")) {
                        throw new HttpError(400, "a line's stream is \"out\" or \"err\", got " + l.get(0));
                    }
                    out.add(new OutputLine(p.get(2), stream.equals("out") ? OutputLine.Stream.STDOUT : OutputLine.Stream.STDERR,
                            l.get(1).asText()));
                }
                r.answer(200, stop(agent.output(out)));
            }
            case "poll" -> {
                r.expect("POST");
                long wait = Request.longField(r.json(), "wait_ms", 10_000, 0, MAX_POLL_MS);
                // Holds no thread while it waits: ten thousand agents polling cost no threads.
                r.answerLater(agent.pollLater(Duration.ofMillis(wait)).thenApply(AgentRoutes::stop), undelivered -> { });
            }
            case "exited" -> {
                r.expect("POST");
                JsonNode b = r.json();
                long code = Request.longField(b, "exit_code", Long.MIN_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE);
                JsonNode reason = b.get("reason");
                agent.exited((int) code, reason == null || reason.isNull() ? null : reason.asText());
                r.answer(200, Map.of());
            }
            default -> throw new HttpError(404, "no agent action '" + p.get(3) + "' (spec, started, output, poll, exited)");
        }
    }

    /** {"stop_ms": grace} when the program must stop, {"stop_ms": null} otherwise. */
    private static Map<String, Object> stop(long stopGraceMillis) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stop_ms", stopGraceMillis < 0 ? null : stopGraceMillis);
        return m;
    }
}
