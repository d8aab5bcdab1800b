package io.llava4j.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes requests (completions by their {@code model} field to that model's engine), checks the
 * API key, turns failures into OpenAI-shaped errors and logs one line per request. Until
 * {@link #add} has handed it every model's engine, {@code /health} answers 503 with the ids loaded
 * so far; a request for a model still loading gets 503 with {@code Retry-After}.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(LlavaServer.class);
    private static final String MODELS = "/v1/models";
    private static final String COMPLETIONS = "/v1/chat/completions";

    private final ServeConfig config;
    private final ServerMetrics metrics;
    private final ImageSource images;
    private final ServedModels models;
    private final Completions completions;

    ApiHandler(ServeConfig config, ServerMetrics metrics, ServedModels models) {
        this.config = config;
        this.metrics = metrics;
        this.models = models;
        this.images = new ImageSource(config.allowLocalUrls());
        this.completions = new Completions(models, images, metrics, config.maxBodyBytes());
    }

    /** Starts answering requests for {@code e}'s model (see {@link ServedModels#add}). */
    void add(CompletionEngine e) {
        models.add(e);
        metrics.watch(e);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long t0 = System.nanoTime();
        HttpExchange ex = new HttpExchange(request, response, callback);
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        try {
            route(ex, path, method);
        } catch (ApiError e) {
            ex.logDetail = (ex.logDetail + " error=\"" + e.getMessage() + "\"").strip();
            if (ex.committed()) {
                ex.abort(e);
            } else {
                ex.error(e);
            }
        } catch (RuntimeException e) {
            LOG.error("{} {}: internal error", method, path, e);
            if (ex.committed() || ex.done()) {
                ex.abort(e);
            } else {
                ex.error(new ApiError(500, "server_error", null, null, "internal error: " + e, 0));
            }
        }
        int status = ex.loggedStatus();
        metrics.request(endpoint(path), ex.model, status);
        LOG.info(
                "{} {} {} {} {}ms",
                method,
                path,
                status,
                ex.logDetail,
                String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e6));
        return true;
    }

    private void route(HttpExchange ex, String path, String method) {
        if (path.equals("/") || path.equals("/index.html")) {
            allow(ex, method, "GET");
            // the page holds no data: the API calls it makes ask for the key
            ex.response.getHeaders().put("Content-Security-Policy", PAGE_POLICY);
            ex.response.getHeaders().put("X-Content-Type-Options", "nosniff");
            ex.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            ex.send(200, "text/html; charset=utf-8", WebPage.bytes());
            return;
        }
        if (path.equals("/health")) {
            allow(ex, method, "GET");
            boolean up = models.allLoaded();
            List<String> loaded =
                    models.loaded().stream().map(e -> e.model().id()).toList();
            ex.json(up ? 200 : 503, OpenAiJson.status(up ? "ok" : "loading", loaded));
            return;
        }
        if (path.equals("/metrics")) {
            allow(ex, method, "GET");
            authorize(ex);
            ex.send(200, ServerMetrics.contentType(), metrics.scrape());
            return;
        }
        if (path.equals(MODELS) || path.startsWith(MODELS + "/")) {
            allow(ex, method, "GET");
            authorize(ex);
            List<CompletionEngine> loaded = models.loaded();
            if (path.equals(MODELS)) {
                if (loaded.isEmpty()) {
                    throw ServedModels.loading(null);
                }
                ex.json(
                        200,
                        OpenAiJson.models(
                                loaded.stream().map(CompletionEngine::model).toList()));
                return;
            }
            String id = path.substring(MODELS.length() + 1);
            for (CompletionEngine e : loaded) {
                if (e.model().id().equals(id)) {
                    ex.json(200, OpenAiJson.model(e.model()));
                    return;
                }
            }
            if (models.ids().contains(id)) {
                throw ServedModels.loading(id);
            }
            throw new ApiError(404, "invalid_request_error", "model_not_found", "model", "no model " + id, 0);
        }
        if (path.equals(COMPLETIONS)) {
            allow(ex, method, "POST");
            authorize(ex);
            completions.handle(ex);
            return;
        }
        throw new ApiError(404, "invalid_request_error", null, null, "Invalid URL (" + method + " " + path + ")", 0);
    }

    private static void allow(HttpExchange ex, String method, String allowed) {
        if (!method.equals(allowed)) {
            ex.response.getHeaders().put(HttpHeader.ALLOW, allowed);
            throw new ApiError(
                    405,
                    "invalid_request_error",
                    "method_not_allowed",
                    null,
                    method + " is not allowed here; use " + allowed,
                    0);
        }
    }

    /** With an API key configured, requires {@code Authorization: Bearer <key>} (compared in constant time). */
    private void authorize(HttpExchange ex) {
        if (config.apiKey() == null) {
            return;
        }
        String header = ex.request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String prefix = "Bearer ";
        if (header == null || !header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            ex.response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
            throw new ApiError(
                    401,
                    "invalid_request_error",
                    "invalid_api_key",
                    null,
                    "no API key: send it as 'Authorization: Bearer KEY'",
                    0);
        }
        byte[] given = header.substring(prefix.length()).strip().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, config.apiKey().getBytes(StandardCharsets.UTF_8))) {
            ex.response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
            throw new ApiError(401, "invalid_request_error", "invalid_api_key", null, "incorrect API key", 0);
        }
    }

    /** The page loads nothing from elsewhere: its own inline script and style, images as data URIs. */
    private static final String PAGE_POLICY = "default-src 'none'; connect-src 'self'; img-src 'self' data: blob:;"
            + " style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    /** The metrics label of a path: the known endpoints, everything else as "other". */
    private static String endpoint(String path) {
        return switch (path) {
            case "/health", "/metrics", MODELS, COMPLETIONS -> path;
            case "/", "/index.html" -> "/";
            default -> path.startsWith(MODELS + "/") ? MODELS : "other";
        };
    }
}
