package uk.e42.tandem.admin;

/** The version the build stamped into the jar's manifest. */
public final class Versions {
    private Versions() {
    }

    public static String tandem() {
        String version = Versions.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }
}
