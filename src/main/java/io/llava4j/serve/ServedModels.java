package io.llava4j.serve;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The models a server serves, by id: the ids are known when it starts, the engines arrive one
 * after the other as their models load. A request names its model; while only some are loaded,
 * those answer and the others are "loading" (503 with {@code Retry-After}).
 *
 * <p>Thread-safe. Owns the engines it was given (shuts them down in {@link #shutdown}).
 */
final class ServedModels {
    private final List<String> ids;
    private final Map<String, CompletionEngine> engines = new LinkedHashMap<>();
    private boolean closed;

    /**
     * @param ids the model ids, in the order {@code /v1/models} lists them
     * @throws IllegalArgumentException if there are none, or one is blank or given twice
     */
    ServedModels(List<String> ids) {
        Set<String> unique = new LinkedHashSet<>();
        for (String id : ids) {
            if (Objects.requireNonNull(id, "id").isBlank()) {
                throw new IllegalArgumentException("a model id must not be blank");
            }
            if (!unique.add(id)) {
                throw new IllegalArgumentException("the model id '" + id + "' is given twice");
            }
        }
        if (unique.isEmpty()) {
            throw new IllegalArgumentException("a server serves at least one model");
        }
        this.ids = List.copyOf(unique);
    }

    /** Every id, loaded or not, in order. */
    List<String> ids() {
        return ids;
    }

    /**
     * Starts answering requests for {@code e}'s model, which must be one of {@link #ids()} and not
     * yet added. The engine is owned from here on: refused, it is shut down at once.
     *
     * @throws IllegalArgumentException for an id that is not served or already has its engine
     * @throws Llava4jException {@code CLOSED} once the server is stopping
     */
    void add(CompletionEngine e) {
        String id = e.model().id();
        RuntimeException refused;
        synchronized (this) {
            if (!ids.contains(id)) {
                refused = new IllegalArgumentException("'" + id + "' is none of the served ids " + ids);
            } else if (engines.containsKey(id)) {
                refused = new IllegalArgumentException("the model '" + id + "' is already served");
            } else if (closed) {
                refused = new Llava4jException(Code.CLOSED, "the server is stopping: " + id + " is not served");
            } else {
                engines.put(id, e);
                return;
            }
        }
        e.shutdown(0);
        throw refused;
    }

    /** The engines of the loaded models, in the order of {@link #ids()}. */
    synchronized List<CompletionEngine> loaded() {
        List<CompletionEngine> list = new ArrayList<>();
        for (String id : ids) {
            CompletionEngine e = engines.get(id);
            if (e != null) {
                list.add(e);
            }
        }
        return list;
    }

    /** Whether every model is loaded. */
    synchronized boolean allLoaded() {
        return engines.size() == ids.size();
    }

    /**
     * The engine a request's {@code model} field names; without one, the only model.
     *
     * @param requested the {@code model} field, null when absent
     * @throws ApiError 400 without a model when several are served, 400 {@code model_not_found}
     *     for an id not served (both list the served ids), 503 {@code model_loading} while it loads
     */
    CompletionEngine route(String requested) {
        String id = requested;
        if (id == null) {
            if (ids.size() > 1) {
                throw ApiError.badRequest(
                        "this server serves several models: say which in 'model', one of " + quoted(), "model");
            }
            id = ids.get(0);
        }
        if (!ids.contains(id)) {
            throw ApiError.badRequest(
                    "the model '" + id + "' does not exist; this server serves " + quoted(),
                    "model",
                    "model_not_found");
        }
        CompletionEngine e;
        synchronized (this) {
            e = engines.get(id);
        }
        if (e == null) {
            throw loading(id);
        }
        return e;
    }

    /** 503 {@code model_loading} with a {@code Retry-After}. */
    static ApiError loading(String id) {
        String what = id == null ? "the model is" : "the model '" + id + "' is";
        return new ApiError(503, "server_error", "model_loading", null, what + " still loading", 5);
    }

    private String quoted() {
        return String.join(", ", ids.stream().map(s -> "'" + s + "'").toList());
    }

    /**
     * Refuses new engines and shuts every loaded one down at the same time, each with
     * {@code graceMillis} for its running requests (so that one model's stragglers do not eat into
     * another's grace period); returns when all are down.
     */
    void shutdown(long graceMillis) {
        List<CompletionEngine> list;
        synchronized (this) {
            closed = true;
            list = loaded();
        }
        List<Thread> threads = new ArrayList<>();
        for (CompletionEngine e : list) {
            Thread t = new Thread(
                    () -> e.shutdown(graceMillis),
                    "llava4j-shutdown-" + e.model().id());
            t.start();
            threads.add(t);
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException ex) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
