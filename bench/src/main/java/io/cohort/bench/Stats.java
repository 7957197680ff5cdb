package io.cohort.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Medians, ranges and per-round ratios of series measured in the same rounds. */
final class Stats {
    private Stats() {
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** subject[i] / baseline[i]: each ratio compares two runs of the same round. */
    static List<Double> ratios(List<Double> subject, List<Double> baseline) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(subject.size(), baseline.size()); i++) {
            r.add(subject.get(i) / baseline.get(i));
        }
        return r;
    }

    /** Least-squares slope of y over x. */
    static double slope(List<Double> x, List<Double> y) {
        double mx = mean(x);
        double my = mean(y);
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.size(); i++) {
            num += (x.get(i) - mx) * (y.get(i) - my);
            den += (x.get(i) - mx) * (x.get(i) - mx);
        }
        return num / den;
    }

    /** "123 ms [110-140]": median and range. */
    static String ms(List<Double> xs) {
        return String.format(Locale.ROOT, "%s ms [%s-%s]", f(median(xs)), f(min(xs)), f(max(xs)));
    }

    static String x(List<Double> ratios) {
        return String.format(Locale.ROOT, "x%.2f [%.2f-%.2f]", median(ratios), min(ratios), max(ratios));
    }

    static String f(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
