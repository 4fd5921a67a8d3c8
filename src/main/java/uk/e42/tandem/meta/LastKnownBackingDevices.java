package uk.e42.tandem.meta;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The node's {@link LastKnownBackingDevice} records, one file per device minor in a state directory
 * ({@code tandem.state-dir}), named as drbd-utils names them: {@code drbd-minor-N.lkbd}. Written whenever
 * internal meta data is placed for a backing device's size (create-md, attach, resize, check-resize);
 * read when the meta data is not at the end of the device where it should be.
 */
public final class LastKnownBackingDevices {
    private final Path directory;

    public LastKnownBackingDevices(Path directory) {
        this.directory = directory;
    }

    public Path file(int minor) {
        return directory.resolve("drbd-minor-" + minor + ".lkbd");
    }

    /** The record of device {@code minor}, if there is one. */
    public Optional<LastKnownBackingDevice> load(int minor) throws IOException {
        Path file = file(minor);
        try {
            return Optional.of(LastKnownBackingDevice.decode(Files.readString(file, StandardCharsets.UTF_8),
                    file.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Replaces the record of device {@code minor}: written aside, synced, then renamed over the old one, so
     * that a crash leaves the old record or the new one, never a torn file.
     */
    public void save(int minor, LastKnownBackingDevice record) throws IOException {
        Files.createDirectories(directory);
        Path file = file(minor);
        Path aside = directory.resolve(file.getFileName() + ".new");
        Files.writeString(aside, record.encode(), StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(aside, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(aside, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // The rename itself is durable only once the directory is.
        try (FileChannel directoryChannel = FileChannel.open(directory, StandardOpenOption.READ)) {
            directoryChannel.force(true);
        }
    }

    /** External meta data does not move with its backing device: drbd-utils keeps no record for it. */
    public void delete(int minor) throws IOException {
        Files.deleteIfExists(file(minor));
    }
}
