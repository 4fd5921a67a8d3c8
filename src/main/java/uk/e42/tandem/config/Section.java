package uk.e42.tandem.config;

/** The option sections of drbd.conf, in the order {@code drbdadm dump} prints them. */
public enum Section {
    OPTIONS("options"), NET("net"), DISK("disk"), STARTUP("startup"), HANDLERS("handlers");

    private final String keyword;

    Section(String keyword) {
        this.keyword = keyword;
    }

    public String keyword() {
        return keyword;
    }
}
