package uk.e42.tandem.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * The disaster suite's results: one line per scenario as it ends, and a table of all of them at
 * the end of the suite, on stdout so CI logs show them.
 */
final class DisasterReport {
    record Row(String transport, String scenario, long bytesWritten, long bytesResynced, int acknowledgedChecked,
            int lostWrites, String note) {
    }

    private final List<Row> rows = new ArrayList<>();

    synchronized void add(Row row) {
        rows.add(row);
        System.out.printf("disaster summary: transport=%s scenario=%s bytes-written=%d bytes-resynced=%d "
                + "acknowledged-writes-checked=%d lost-writes=%d (%s)%n", row.transport(), row.scenario(),
                row.bytesWritten(), row.bytesResynced(), row.acknowledgedChecked(), row.lostWrites(), row.note());
    }

    synchronized String table() {
        String format = "%-8s %-34s %14s %14s %9s %5s  %s%n";
        StringBuilder table = new StringBuilder("\n=== disaster testing: the seed on two hosts ===\n");
        table.append(String.format(format, "link", "scenario", "bytes-written", "bytes-resynced", "ack-check",
                "lost", "note"));
        for (Row row : rows) {
            table.append(String.format(format, row.transport(), row.scenario(), row.bytesWritten(),
                    row.bytesResynced(), row.acknowledgedChecked(), row.lostWrites(), row.note()));
        }
        return table.toString();
    }
}
