package uk.e42.tandem.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import uk.e42.tandem.disk.BlockStore;

/**
 * drbdmeta's text views of v08 meta data, character for character: {@code dump-md}, {@code get-gi},
 * {@code show-gi} and {@code dstate} (drbd-utils 9.22, {@code meta_dump_md}, {@code fprintf_bm},
 * {@code dt_pretty_print_uuids}).
 *
 * <p>One quirk is kept on purpose: for v08, drbdmeta's dump prints {@code flags 0x00000000} whatever the
 * superblock holds (it prints a per-peer field v08 never fills), and {@code restore-md} writes back what
 * the dump says. get-gi and show-gi show the real flags.
 */
public final class MetaDataDump {
    /** drbdmeta reads the bitmap in windows of this size; runs are cut at window borders in rare cases. */
    static final int DRBDMETA_BUFFER = 32 << 20;

    private MetaDataDump() {
    }

    /** The comment block dump-md starts with: date, host and the command that made the dump. */
    public record Header(Instant time, ZoneId zone, String host, String command) {
        public static Header now(String command) {
            return new Header(Instant.now(), ZoneId.systemDefault(), hostname(), command);
        }

        String render() {
            String date = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss Z").format(time.atZone(zone));
            return "# DRBD meta data dump\n# " + date + " [" + time.getEpochSecond() + "]\n# " + host + "> " + command
                    + "\n#\n\n";
        }
    }

    /** uname's node name, as drbdmeta prints it. */
    static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
    }

    /**
     * dump-md of the meta data found on {@code store} (the meta device; for internal meta data the backing
     * device).
     *
     * @param force dump unclean meta data anyway, marked so that restore-md refuses it (drbdmeta --force)
     */
    public static String dumpMd(BlockStore store, MetaDisk metaDisk, Header header, boolean force) throws IOException {
        Superblock sb = MetaData.readSuperblock(store, metaDisk);
        MetaLayout layout = validOrNone(sb, metaDisk, store);
        boolean clean = sb.magic() != Superblock.MAGIC_84_UNCLEAN && sb.has(MdFlags.AL_CLEAN);
        if (!clean && !force) {
            throw new MetaDataException("Found meta data is \"unclean\", please apply-al first (attach and detach"
                    + " the volume once, or dump with --force to see it anyway)");
        }
        StringBuilder out = new StringBuilder();
        long laSize = sb.laSizeSect();
        long maxUsable = layout.maxUsableSectors();
        if (laSize > maxUsable) {
            out.append("# la-size-sect was too big (").append(laSize).append("), truncated (").append(maxUsable)
                    .append(")!\n");
            laSize = maxUsable;
        }
        long bmBytes = MetaLayout.bitmapBytes(laSize);
        out.append(header.render());
        out.append("version \"v08\";\n\n");
        if (!clean) {
            out.append("This_is_an_unclean_meta_data_dump._Don't_trust_the_bitmap.\n"
                    + "# You should \"apply-al\" first, if you plan to restore this.\n\n");
        }
        out.append("# md_size_sect ").append(Integer.toUnsignedString(sb.mdSizeSect())).append('\n');
        out.append("# md_offset ").append(layout.mdOffset()).append('\n');
        out.append("# al_offset ").append(layout.alOffset()).append('\n');
        out.append("# bm_offset ").append(layout.bmOffset()).append('\n');
        out.append('\n');
        GenerationUuids u = sb.uuids();
        out.append("uuid {\n");
        out.append("    0x").append(GenerationUuids.hex(u.current())).append("; 0x").append(GenerationUuids.hex(u.bitmap()))
                .append("; 0x").append(GenerationUuids.hex(u.history0())).append("; 0x")
                .append(GenerationUuids.hex(u.history1())).append(";\n");
        out.append("    flags 0x00000000;\n");
        out.append("}\n");
        out.append("# al-extents ").append(Integer.toUnsignedString(sb.alNrExtents())).append(";\n");
        out.append("la-size-sect ").append(laSize).append(";\n");
        out.append("bm-byte-per-bit ").append(Integer.toUnsignedString(sb.bmBytesPerBit())).append(";\n");
        out.append("device-uuid 0x").append(GenerationUuids.hex(sb.deviceUuid())).append(";\n");
        out.append("la-peer-max-bio-size ").append(sb.laPeerMaxBioSize()).append(";\n");
        out.append("al-stripes ").append(Integer.toUnsignedString(sb.alStripes())).append(";\n");
        out.append("al-stripe-size-4k ").append(Integer.toUnsignedString(sb.alStripeSize4k())).append(";\n");
        out.append("# bm-bytes ").append(bmBytes).append(";\n");
        out.append("bm ");
        long bitsSet = printBitmap(out, store, layout.bmOffset(), bmBytes, DRBDMETA_BUFFER);
        out.append("# bits-set ").append(bitsSet).append(";\n");
        return out.toString();
    }

    /**
     * drbdmeta's bitmap listing: 64-bit words (each printed from two little-endian 32-bit halves), four per
     * line; where at least eight lines' worth of identical 32-bit words start at a line, {@code N times 0x…;};
     * a {@code # at NkB} marker before a line starting at an 8 MiB boundary of data. The loop is drbdmeta's,
     * including how it reads in windows of {@code window} bytes. Returns the set bits it counted.
     */
    static long printBitmap(StringBuilder out, BlockStore store, long bmOffset, long bmBytes, int window)
            throws IOException {
        final int wordsPerLine = 8;
        long n = bmBytes / 4;
        int[] bm = new int[0];
        int nBuffer = 0;
        long readAt = bmOffset;
        long i = 0;
        long r = 0;
        long count = 0;
        int cw = 0;
        int lw = 0;
        long bitsSet = 0;
        out.append('{');
        boolean needRead = r < n;
        while (r < n) {
            if (needRead || i * 4 >= window) {
                if (!needRead) {
                    i -= window / 4;
                }
                needRead = false;
                long chunk = Math.min(((n - r) * 4 + 511) & ~511L, window);
                ByteBuffer b = ByteBuffer.allocate((int) chunk);
                store.read(readAt, b);
                readAt += chunk;
                bm = new int[(int) (chunk / 4)];
                b.flip().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(bm);
                nBuffer = bm.length;
            }
            boolean again = true;
            while (again) {
                again = false;
                if (count == 0) {
                    cw = bm[(int) i];
                }
                if (i % wordsPerLine == 0) {
                    if (count == 0) {
                        out.append((r & 63) == 0 ? "\n   # at " + (128 * r) + "kB\n   " : "\n   ");
                    }
                    long j = i;
                    while (j < nBuffer && bm[(int) j] == cw) {
                        j++;
                    }
                    long tmp = (j - i) / wordsPerLine * wordsPerLine;
                    if (tmp > wordsPerLine) {
                        count += tmp;
                        r += tmp;
                        i += tmp;
                        if (j >= nBuffer && r < n) {
                            break;
                        }
                    }
                    if (count > 0) {
                        String hex = String.format("%08X", cw);
                        out.append(' ').append(count / 2).append(" times 0x").append(hex).append(hex).append(';');
                        bitsSet += count * Integer.bitCount(cw);
                        count = 0;
                        if (r >= n) {
                            break;
                        }
                        again = true;
                        continue;
                    }
                }
                if ((i & 1) == 0) {
                    lw = bm[(int) i];
                } else {
                    out.append(String.format(" 0x%08X%08X;", bm[(int) i], lw));
                }
                bitsSet += Integer.bitCount(bm[(int) i]);
                r++;
                i++;
            }
        }
        out.append("\n}\n");
        return bitsSet;
    }

    /** get-gi: the four UUIDs and seven flag digits. */
    public static String getGi(Superblock sb) {
        return sb.uuids() + ":" + MdFlags.giDigits(sb.flags()) + "\n";
    }

    /** show-gi: get-gi with drbdmeta's legend, the flags in words and the last agreed size. */
    public static String showGi(Superblock sb) {
        StringBuilder out = new StringBuilder();
        out.append("""

                       +--<  Current data generation UUID  >-
                       |               +--<  Bitmap's base data generation UUID  >-
                       |               |                 +--<  younger history UUID  >-
                       |               |                 |         +-<  older history  >-
                       V               V                 V         V
                """);
        out.append(getGi(sb));
        out.append("""
                                                                                    ^ ^ ^ ^ ^ ^ ^
                                                      -<  Data consistency flag  >--+ | | | | | |
                                             -<  Data was/is currently up-to-date  >--+ | | | | |
                                                  -<  Node was/is currently primary  >--+ | | | |
                                                  -<  Node was/is currently connected  >--+ | | |
                         -<  Node was in the progress of setting all bits in the bitmap  >--+ | |
                                        -<  The peer's disk was out-dated or inconsistent  >--+ |
                      -<  This node was a crashed primary, and has not seen its peer since   >--+

                """);
        out.append(MdFlags.summary(sb.flags())).append('\n');
        out.append("meta-data: ").append(sb.has(MdFlags.AL_CLEAN) ? "clean" : "need apply-al").append('\n');
        if (sb.laSizeSect() != 0) {
            out.append("last agreed size: ").append(ppsize(sb.laSizeSect() >>> 1)).append(" (")
                    .append(sb.laSizeSect()).append(" sectors)\n");
            out.append("last agreed max bio size: ").append(Integer.toUnsignedString(sb.laPeerMaxBioSize()))
                    .append(" Byte\n");
        } else {
            out.append("zero size device -- never seen peer yet?\n");
        }
        return out.toString();
    }

    /** DRBD's {@code ppsize}: KiB scaled by 1024 while ≥ 10000, rounded, e.g. "64 MB". */
    static String ppsize(long kib) {
        char[] units = {'K', 'M', 'G', 'T', 'P', 'E'};
        int base = 0;
        long size = kib;
        while (Long.compareUnsigned(size, 10000) >= 0 && base < units.length - 1) {
            size = (size >>> 10) + ((size & (1 << 9)) != 0 ? 1 : 0);
            base++;
        }
        return Integer.toUnsignedString((int) size) + " " + units[base] + "B";
    }

    private static MetaLayout validOrNone(Superblock sb, MetaDisk metaDisk, BlockStore store)
            throws MetaDataException {
        try {
            return MetaLayout.of(sb, metaDisk, store.size());
        } catch (MetaDataException e) {
            throw new MetaDataException("No valid meta data found on " + store.describe() + ": " + e.getMessage(), e);
        }
    }
}
