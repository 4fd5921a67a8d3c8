package uk.e42.tandem.meta;

import java.io.IOException;

/**
 * Meta data that cannot be used as asked: none found, wrong magic, a layout that does not fit the
 * devices, or existing meta data create-md will not overwrite. The message says what was found,
 * where, and how to fix it; nothing was written.
 */
public class MetaDataException extends IOException {
    public MetaDataException(String message) {
        super(message);
    }

    public MetaDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
