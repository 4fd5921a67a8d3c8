package uk.e42.tandem.meta;

/**
 * DRBD's generation identifiers: the current UUID, the bitmap UUID (0 when no bitmap is kept
 * against a peer) and two history UUIDs. Bit 0 of the current UUID marks "was Primary when it was
 * made" as in DRBD.
 */
public record GenerationUuids(long current, long bitmap, long history0, long history1) {
}
