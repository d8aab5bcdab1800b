package io.llava4j.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Median and spread of one phase over the measured runs.
 *
 * @param values the runs' values in run order
 * @param median the median (the mean of the middle two for an even count)
 * @param min the smallest value
 * @param max the largest value
 */
public record Summary(List<Double> values, double median, double min, double max) {
    public Summary {
        values = List.copyOf(values);
    }

    /**
     * Summarises {@code values}; an empty list gives NaN everywhere.
     */
    public static Summary of(List<Double> values) {
        if (values.isEmpty()) {
            return new Summary(values, Double.NaN, Double.NaN, Double.NaN);
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Summary(values, median, sorted.get(0), sorted.get(n - 1));
    }
}
