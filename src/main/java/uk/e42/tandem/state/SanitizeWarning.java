package uk.e42.tandem.state;

/** What {@code sanitize_state} warns about when it had to change the requested state ({@code print_sanitize_warnings}). */
public enum SanitizeWarning {
    NO_WARNING(""),
    ABORTED_ONLINE_VERIFY("Online-verify aborted."),
    ABORTED_RESYNC("Resync aborted."),
    CONNECTION_LOST_NEGOTIATING("Connection lost while negotiating, no data!"),
    IMPLICITLY_UPGRADED_DISK("Implicitly upgraded disk"),
    IMPLICITLY_UPGRADED_PDSK("Implicitly upgraded pdsk");

    private final String message;

    SanitizeWarning(String message) {
        this.message = message;
    }

    /** DRBD's warning line; empty for {@link #NO_WARNING}. */
    public String message() {
        return message;
    }
}
