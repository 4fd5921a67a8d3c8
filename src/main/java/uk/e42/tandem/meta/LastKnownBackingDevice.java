package uk.e42.tandem.meta;

import java.util.Locale;

/**
 * drbd-utils' "last-known bdev info": the size a backing device had when its internal meta data was last
 * placed at its end, so that the meta data is found again after the device grew while the resource was
 * down ({@code check-resize}). The text is drbd-utils' {@code drbd-minor-N.lkbd}: {@code SIZE<TAB>PATH}
 * on the first line, then {@code uuid:<TAB>DEVICE-UUID} (16 hex digits) when the device UUID is not 0.
 *
 * @param sizeBytes  the backing device's size in bytes
 * @param path       the backing device, as the configuration names it
 * @param deviceUuid the meta data's device UUID; 0 when none (then it is not checked)
 */
public record LastKnownBackingDevice(long sizeBytes, String path, long deviceUuid) {
    public LastKnownBackingDevice {
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("a last known backing device size must be positive, not " + sizeBytes);
        }
        if (path.isEmpty() || path.contains("\n") || path.contains("\t")) {
            throw new IllegalArgumentException("a backing device path must be one word on one line, not '" + path
                    + "'");
        }
    }

    public String encode() {
        return sizeBytes + "\t" + path + "\n"
                + (deviceUuid == 0 ? "" : String.format(Locale.ROOT, "uuid:\t%016X\n", deviceUuid));
    }

    /**
     * Reads what {@link #encode} (or drbd-utils) wrote.
     *
     * @param where the file, for the message
     * @throws MetaDataException the text is not a last-known record
     */
    public static LastKnownBackingDevice decode(String text, String where) throws MetaDataException {
        String[] lines = text.split("\n");
        String[] first = lines[0].trim().split("\\s+", 2);
        try {
            long size = Long.parseLong(first[0]);
            if (first.length < 2 || size <= 0) {
                throw new MetaDataException(where + ": expected 'SIZE<TAB>DEVICE' on its first line, found '"
                        + lines[0] + "'");
            }
            long uuid = 0;
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i].trim();
                if (line.startsWith("uuid:")) {
                    uuid = Long.parseUnsignedLong(line.substring(5).trim(), 16);
                } else if (!line.isEmpty()) {
                    throw new MetaDataException(where + ": line " + (i + 1) + " '" + line + "' is not 'uuid:<TAB>HEX'");
                }
            }
            return new LastKnownBackingDevice(size, first[1].trim(), uuid);
        } catch (NumberFormatException e) {
            throw new MetaDataException(where + ": not a last-known backing device record (" + e.getMessage()
                    + "): '" + text.strip() + "'", e);
        }
    }
}
