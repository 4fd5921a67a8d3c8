package uk.e42.tandem.config;

import java.util.Optional;

/**
 * A {@code volume N { ... }} block, or the implicit volume 0 that statements outside any volume
 * block make. Fields a block did not set are empty; {@link ResourceConfig#volumesOn} fills them
 * from the resource level as drbdadm does.
 *
 * @param devicePath {@code /dev/drbdN} when the device was named
 * @param minor      the device minor, -1 when not (yet) known
 */
public record Volume(int number, boolean implicit, Optional<String> devicePath, int minor, Optional<String> disk,
        Optional<MetaDisk> metaDisk, Options diskOptions, SourcePosition at) {

    public boolean hasDevice() {
        return minor >= 0;
    }

    /** The device as drbdadm prints it: {@code /dev/drbd0 minor 0} or {@code minor 3}. */
    public String deviceText() {
        return devicePath.map(p -> p + " ").orElse("") + "minor " + minor;
    }

    /** This volume with what it lacks taken from {@code outer} (a resource-level volume). */
    Volume inheriting(Volume outer) {
        return new Volume(number, implicit, devicePath.isPresent() ? devicePath : outer.devicePath,
                minor >= 0 ? minor : outer.minor, disk.isPresent() ? disk : outer.disk,
                metaDisk.isPresent() ? metaDisk : outer.metaDisk, diskOptions, at);
    }
}
