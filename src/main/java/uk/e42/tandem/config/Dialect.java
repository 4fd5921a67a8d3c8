package uk.e42.tandem.config;

/** Which drbdadm a file is written for, and so which {@code drbdadm dump} layout it gets. */
public enum Dialect {
    /** DRBD 8.4 (with the 8.3 spellings drbdadm-84 maps). */
    DRBD84,
    /** Uses syntax only DRBD 9 has: {@code node-id}, {@code connection}, {@code connection-mesh}. */
    DRBD9
}
