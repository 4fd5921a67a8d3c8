package uk.e42.tandem.config;

import java.nio.file.Path;

/** Where something was written: file, 1-based line and 1-based column. */
public record SourcePosition(Path file, int line, int column) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
