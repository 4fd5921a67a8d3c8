package uk.e42.tandem.disk;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The faults a test wants, read from a text file (the daemon's {@code tandem.fault-injection.file}):
 * one fault per line, {@code RESOURCE KIND ARGUMENTS}, byte offsets and lengths in decimal, {@code #}
 * starts a comment. An empty file means healthy disks.
 *
 * <pre>
 * replicated0 read-eio OFFSET LENGTH       reads touching the range fail with EIO
 * replicated0 write-eio OFFSET LENGTH      writes, discards, write-zeroes touching it fail with EIO
 * replicated0 enospc OFFSET                writes reaching at or beyond OFFSET fail with ENOSPC
 * replicated0 torn-write OFFSET LENGTH KEEP  writes store their first KEEP bytes, then fail
 * replicated0 flush-eio                    every flush fails with EIO
 * replicated0 latency MILLISECONDS         every request waits first
 * </pre>
 */
public final class FaultPlan {
    /** One line of the plan: a kind and its numbers. */
    public record Fault(String kind, long[] args) {
        void applyTo(FaultyBlockStore store) {
            switch (kind) {
                case "read-eio" -> store.failReads(args[0], args[1]);
                case "write-eio" -> store.failWrites(args[0], args[1]);
                case "enospc" -> store.noSpaceFrom(args[0]);
                case "torn-write" -> store.tornWrites(args[0], args[1], (int) args[2]);
                case "flush-eio" -> store.failFlushes();
                case "latency" -> store.latency(Duration.ofMillis(args[0]));
                default -> throw new IllegalStateException("unknown fault kind " + kind);
            }
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(kind);
            for (long a : args) {
                text.append(' ').append(a);
            }
            return text.toString();
        }
    }

    private static final Map<String, Integer> ARITY = Map.of("read-eio", 2, "write-eio", 2, "enospc", 1,
            "torn-write", 3, "flush-eio", 0, "latency", 1);

    private final Map<String, List<Fault>> byResource;

    private FaultPlan(Map<String, List<Fault>> byResource) {
        this.byResource = byResource;
    }

    public static final FaultPlan NONE = new FaultPlan(Map.of());

    /**
     * @param source names the file in error messages
     * @throws IllegalArgumentException naming the line and what is wrong with it
     */
    public static FaultPlan parse(String text, String source) {
        Map<String, List<Fault>> faults = new TreeMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            String[] words = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            if (words.length == 1 && words[0].isEmpty()) {
                continue;
            }
            String where = source + ":" + (i + 1) + ": ";
            if (words.length < 2) {
                throw new IllegalArgumentException(where + "expected RESOURCE KIND [ARGUMENTS], got '" + line.trim()
                        + "'");
            }
            Integer arity = ARITY.get(words[1]);
            if (arity == null) {
                throw new IllegalArgumentException(where + "unknown fault '" + words[1]
                        + "'; expected one of read-eio, write-eio, enospc, torn-write, flush-eio, latency");
            }
            if (words.length - 2 != arity) {
                throw new IllegalArgumentException(where + words[1] + " takes " + arity + " number(s), got "
                        + (words.length - 2));
            }
            long[] args = new long[arity];
            for (int a = 0; a < arity; a++) {
                try {
                    args[a] = Long.parseLong(words[2 + a]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "'" + words[2 + a] + "' is not a decimal number");
                }
                if (args[a] < 0) {
                    throw new IllegalArgumentException(where + "'" + words[2 + a] + "' is negative");
                }
            }
            faults.computeIfAbsent(words[0], r -> new ArrayList<>()).add(new Fault(words[1], args));
        }
        return new FaultPlan(faults);
    }

    /** The faults for one resource's backing disk (empty: healthy). */
    public List<Fault> faults(String resource) {
        return byResource.getOrDefault(resource, List.of());
    }

    /** Makes {@code store} fail exactly as this plan says for {@code resource}. */
    public void applyTo(String resource, FaultyBlockStore store) {
        store.heal();
        faults(resource).forEach(f -> f.applyTo(store));
    }
}
