package io.cohort.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The summary table every benchmark adds its rows to, printed at the end. */
final class Report {
    record Row(String bench, String subject, String baseline, String subjectMs, String baselineMs, String ratio, int rounds) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    void ratio(String bench, String subject, List<Double> s, String baseline, List<Double> b) {
        rows.add(new Row(bench, subject, baseline, Stats.ms(s), Stats.ms(b), Stats.x(Stats.ratios(s, b)), Math.min(s.size(), b.size())));
    }

    void value(String bench, String subject, String value, String baseline, String baselineValue, String ratio, int rounds) {
        rows.add(new Row(bench, subject, baseline, value, baselineValue, ratio, rounds));
    }

    void note(String format, Object... args) {
        String s = String.format(Locale.ROOT, format, args);
        notes.add(s);
        System.out.println("  note: " + s);
    }

    void print() {
        System.out.println();
        System.out.println("==== SUMMARY (subject and baseline: median [min-max] over rounds; ratio: median [min-max] of per-round subject/baseline) ====");
        System.out.println("| bench | subject | subject | baseline | baseline | ratio | rounds |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d |%n", r.bench(), r.subject(), r.subjectMs(),
                    r.baseline(), r.baselineMs(), r.ratio(), r.rounds());
        }
        if (!notes.isEmpty()) {
            System.out.println();
            System.out.println("Notes:");
            notes.forEach(n -> System.out.println("- " + n));
        }
    }
}
