package uk.e42.tandem.device;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import uk.e42.tandem.disk.FileBlockStore;
import uk.e42.tandem.meta.MetaData;
import uk.e42.tandem.meta.MetaDataTool;
import uk.e42.tandem.meta.MetaDisk;

/** A backing file of {@code bytes} with fresh external meta data (create-md), as a node's volume has them. */
record TestVolume(FileBlockStore disk, MetaData meta) implements AutoCloseable {
    static TestVolume create(Path dir, long bytes) throws IOException {
        Path backing = dir.resolve("disk.img");
        Files.write(backing, new byte[(int) bytes]);
        Path metaFile = dir.resolve("meta.img");
        try (RandomAccessFile f = new RandomAccessFile(metaFile.toFile(), "rw")) {
            f.setLength(128L << 20);
        }
        MetaDisk md = new MetaDisk.Indexed(metaFile, 0);
        MetaDataTool.createMd(null, md, MetaDataTool.CreateOptions.DEFAULTS, MetaDataTool.Confirmation.REFUSE);
        return new TestVolume(FileBlockStore.open(backing), MetaData.open(FileBlockStore.open(metaFile), md, bytes));
    }

    @Override
    public void close() throws IOException {
        meta.close();
        disk.close();
    }
}
