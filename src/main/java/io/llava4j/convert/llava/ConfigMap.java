package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed reads of a parsed {@code config.json} (or one of its sub-configs) with the defaults of the
 * transformers config class it stands for, since HF writes only the values that differ from them
 * (llava-hf's {@code text_config} often lists just the vocabulary size). Every error names the
 * file and the key.
 */
final class ConfigMap {
    private final Path file;
    private final Map<String, Object> values;

    ConfigMap(Path file, Map<String, Object> values) {
        this.file = file;
        this.values = values;
    }

    /** The file the values came from, for messages. */
    Path file() {
        return file;
    }

    /** {@code defaults} overlaid with these values. */
    ConfigMap withDefaults(Map<String, Object> defaults) {
        Map<String, Object> m = new LinkedHashMap<>(defaults);
        values.forEach((k, v) -> {
            if (v != null) {
                m.put(k, v);
            }
        });
        return new ConfigMap(file, m);
    }

    boolean has(String key) {
        return values.get(key) != null;
    }

    Object raw(String key) {
        return values.get(key);
    }

    /** A nested object, if present. */
    Optional<ConfigMap> object(String key) {
        return values.get(key) instanceof Map<?, ?> m
                ? Optional.of(new ConfigMap(file, Json.asObject(m)))
                : Optional.empty();
    }

    int integer(String key) {
        Object v = values.get(key);
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return (int) (long) l;
        }
        if (v instanceof List<?> l && l.size() == 1 && l.get(0) instanceof Long x) {
            return (int) (long) x; // vision_feature_layer may be a one-element list
        }
        throw bad(key, v, "an integer");
    }

    Optional<Integer> optionalInteger(String key) {
        return has(key) ? Optional.of(integer(key)) : Optional.empty();
    }

    double number(String key) {
        Object v = values.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw bad(key, v, "a number");
    }

    Optional<String> string(String key) {
        Object v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        throw bad(key, v, "a string");
    }

    boolean bool(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw bad(key, v, "true or false");
    }

    /** A list of numbers (e.g. {@code image_mean}), if present. */
    Optional<float[]> floats(String key) {
        Object v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof Number)) {
            float[] out = new float[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) l.get(i)).floatValue();
            }
            return Optional.of(out);
        }
        throw bad(key, v, "a list of numbers");
    }

    /** A list of [a, b] integer pairs (e.g. {@code image_grid_pinpoints}), flattened. */
    Optional<int[]> pairs(String key) {
        Object v = values.get(key);
        if (v == null) {
            return Optional.empty();
        }
        List<Integer> flat = new ArrayList<>();
        if (v instanceof List<?> l) {
            for (Object p : l) {
                if (!(p instanceof List<?> pair)
                        || pair.size() != 2
                        || !(pair.get(0) instanceof Long a)
                        || !(pair.get(1) instanceof Long b)
                        || a <= 0
                        || b <= 0) {
                    throw bad(key, v, "a list of [width, height] pairs");
                }
                flat.add((int) (long) a);
                flat.add((int) (long) b);
            }
            return Optional.of(flat.stream().mapToInt(Integer::intValue).toArray());
        }
        throw bad(key, v, "a list of [width, height] pairs (the \"(1x1),...\" string form is not supported)");
    }

    CheckpointException bad(String key, Object value, String expected) {
        return new CheckpointException(
                file, "'" + key + "' is " + (value == null ? "missing" : value) + ", expected " + expected);
    }
}
