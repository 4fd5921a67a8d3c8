package uk.e42.tandem.state;

/** The {@code fencing} disk option, in DRBD's order ({@code enum drbd_fencing_p}); the rules compare it with {@code >=}. */
public enum Fencing {
    DONT_CARE("dont-care"),
    RESOURCE_ONLY("resource-only"),
    RESOURCE_AND_STONITH("resource-and-stonith");

    private final String configName;

    Fencing(String configName) {
        this.configName = configName;
    }

    /** The keyword in drbd.conf. */
    public String configName() {
        return configName;
    }

    @Override
    public String toString() {
        return configName;
    }

    public static Fencing fromConfigName(String name) {
        for (Fencing f : values()) {
            if (f.configName.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("fencing '" + name + "' is not one of dont-care, resource-only, resource-and-stonith");
    }
}
