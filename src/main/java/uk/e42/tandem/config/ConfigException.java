package uk.e42.tandem.config;

/**
 * A drbd.conf that Tandem will not run with. The message reads
 * {@code file:line:col: what is wrong} and, on a second line, how to fix it; nothing starts on
 * such a configuration.
 */
public final class ConfigException extends RuntimeException {
    private final SourcePosition position;
    private final String problem;
    private final String hint;

    public ConfigException(SourcePosition position, String problem, String hint) {
        super(position + ": " + problem + (hint.isEmpty() ? "" : "\n  hint: " + hint));
        this.position = position;
        this.problem = problem;
        this.hint = hint;
    }

    public SourcePosition position() {
        return position;
    }

    /** What is wrong, without position and hint. */
    public String problem() {
        return problem;
    }

    /** How to fix it; empty when the problem says it all. */
    public String hint() {
        return hint;
    }
}
