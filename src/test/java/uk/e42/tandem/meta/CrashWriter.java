package uk.e42.tandem.meta;

import java.nio.file.Path;
import java.util.Random;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * The victim of {@link MetaDataCrashTest}: a Primary that writes while disconnected, forever. After each
 * step is durable it prints what it acknowledged, so whatever it printed must survive a kill -9.
 */
public final class CrashWriter {
    private CrashWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path meta = Path.of(args[0]);
        long backingBytes = Long.parseLong(args[1]);
        Random random = new Random(Long.parseLong(args[2]));
        MetaDisk md = new MetaDisk.Indexed(meta, 0);
        try (MetaData m = MetaData.open(FileBlockStore.open(meta), md, backingBytes)) {
            m.attach(ActivityLog.MIN_EXTENTS);
            m.updateSuperblock(sb -> sb.withFlag(MdFlags.PRIMARY_IND, true));
            System.out.println("READY");
            System.out.flush();
            long blocks = m.bitmap().bits();
            for (long i = 0; ; i++) {
                long offset = (long) (random.nextDouble() * blocks) << 12;
                m.alBeginIo(offset, 4096);
                m.markOutOfSync(offset, 4096);
                m.alCompleteIo(offset, 4096);
                System.out.println("ACK " + (offset >>> 12));
                if (i % 10 == 0) {
                    GenerationUuids next = m.uuids().newCurrentUuid(random.nextLong(), true);
                    m.setUuids(next);
                    System.out.println("UUID " + next);
                }
                if (i % 500 == 0) {
                    m.writeDirtyBitmapPages();
                }
                System.out.flush();
            }
        }
    }
}
