package uk.e42.tandem.metrics;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format 0.0.4 for tests: every sample belongs to a
 * family declared by {@code # TYPE} before it, names and labels are well formed, values parse,
 * no series appears twice. Anything else fails with the line number.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: its family's name and type, labels sorted by name, value. */
    public record Sample(String name, String type, Map<String, String> labels, double value) {
    }

    private PrometheusText() {
    }

    /** Series (name plus sorted labels) to sample, in input order. */
    public static Map<String, Sample> parse(String text) {
        Map<String, String> types = new HashMap<>();
        Map<String, Sample> samples = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a newline");
        }
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + ": " + line;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && parts[1].equals("TYPE")) {
                    require(parts.length == 4 && TYPES.contains(parts[3]), "bad TYPE", where);
                    require(NAME.matcher(parts[2]).matches(), "bad metric name", where);
                    require(types.put(parts[2], parts[3]) == null, "TYPE given twice", where);
                } else if (parts.length >= 3 && parts[1].equals("HELP")) {
                    require(NAME.matcher(parts[2]).matches(), "bad metric name", where);
                }
                continue;
            }
            Matcher name = NAME.matcher(line);
            require(name.lookingAt(), "no metric name", where);
            String metric = name.group();
            int at = name.end();
            Map<String, String> labels = new TreeMap<>();
            if (at < line.length() && line.charAt(at) == '{') {
                at++;
                while (line.charAt(at) != '}') {
                    Matcher label = LABEL.matcher(line).region(at, line.length());
                    require(label.lookingAt(), "bad label", where);
                    require(labels.put(label.group(1), label.group(2)) == null, "label given twice", where);
                    at = label.end();
                    if (line.charAt(at) == ',') {
                        at++;
                    } else {
                        require(line.charAt(at) == '}', "labels not closed", where);
                    }
                }
                at++;
            }
            require(at < line.length() && line.charAt(at) == ' ', "no space before the value", where);
            String[] rest = line.substring(at + 1).split(" ");
            require(rest.length == 1 || rest.length == 2, "value [timestamp] expected", where);
            double value = switch (rest[0]) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> {
                    try {
                        yield Double.parseDouble(rest[0]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad value: " + where);
                    }
                }
            };
            String type = familyType(types, metric);
            require(type != null, "sample without a TYPE for its family", where);
            String series = metric + labels;
            require(samples.put(series, new Sample(metric, type, labels, value)) == null, "series given twice", where);
        }
        return samples;
    }

    private static String familyType(Map<String, String> types, String metric) {
        if (types.containsKey(metric)) {
            return types.get(metric);
        }
        for (String suffix : new String[] {"_total", "_created", "_bucket", "_count", "_sum"}) {
            if (metric.endsWith(suffix)) {
                String family = metric.substring(0, metric.length() - suffix.length());
                if (types.containsKey(family)) {
                    return types.get(family);
                }
            }
        }
        // Micrometer writes a long task timer as a summary of _active_count and _duration_sum.
        for (String suffix : new String[] {"_active_count", "_duration_sum"}) {
            if (metric.endsWith(suffix)) {
                String family = metric.substring(0, metric.length() - suffix.length());
                if ("summary".equals(types.get(family))) {
                    return "summary";
                }
            }
        }
        return null;
    }

    private static void require(boolean ok, String problem, String where) {
        if (!ok) {
            throw new IllegalArgumentException(problem + ": " + where);
        }
    }
}
