package uk.e42.tandem.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import uk.e42.tandem.e2e.E2e;
import uk.e42.tandem.e2e.Tools;

/**
 * The seed's step 4 on the export: nbdfuse makes it a file, losetup a block device, mkfs.ext4 formats
 * it (its discards arrive as NBD_CMD_TRIM), files written survive umount and remount.
 */
@E2e(root = true, fuse = true, loop = true, tools = {"nbdfuse", "fusermount3", "losetup", "mkfs.ext4", "mount",
    "umount"})
class NbdMkfsTest {
    @TempDir
    Path dir;

    @Test
    void mkfsMountWriteRemountOnTheExport() throws Exception {
        try (TestNbdServer nbd = new TestNbdServer(dir.resolve("disk"), 256L << 20)) {
            Path fuse = Files.createDirectory(dir.resolve("fuse"));
            Path mnt = Files.createDirectory(dir.resolve("mnt"));
            Path pidFile = dir.resolve("nbdfuse.pid");
            Process nbdfuse = new ProcessBuilder(Tools.path("nbdfuse"), "-P", pidFile.toString(), fuse + "/drbd0",
                    nbd.uri("drbd0")).redirectErrorStream(true).redirectOutput(dir.resolve("nbdfuse.log").toFile())
                    .start();
            String loop = null;
            try {
                for (int i = 0; i < 200 && !Files.exists(pidFile); i++) {
                    assertTrue(nbdfuse.isAlive(), "nbdfuse exited: " + Files.readString(dir.resolve("nbdfuse.log")));
                    Thread.sleep(50);
                }
                loop = Tools.run(Tools.path("losetup"), "--find", "--show", fuse + "/drbd0").orFail().stdout().trim();
                Tools.run(Tools.path("mkfs.ext4"), "-F", "-q", "-E", "discard", loop).orFail();
                assertTrue(nbd.discards.get() > 0, "mkfs.ext4's discards did not reach the export as TRIM");

                Tools.run(Tools.path("mount"), loop, mnt.toString()).orFail();
                List<byte[]> contents = new ArrayList<>();
                Random random = new Random(7);
                for (int i = 0; i < 5; i++) {
                    byte[] data = new byte[(i + 1) * 777_777];
                    random.nextBytes(data);
                    contents.add(data);
                    Files.write(mnt.resolve("file" + i), data);
                }
                Tools.run(Tools.path("umount"), mnt.toString()).orFail();
                Tools.run(Tools.path("mount"), loop, mnt.toString()).orFail();
                for (int i = 0; i < contents.size(); i++) {
                    assertArrayEquals(contents.get(i), Files.readAllBytes(mnt.resolve("file" + i)), "file" + i);
                }
                Tools.run(Tools.path("umount"), mnt.toString()).orFail();
            } finally {
                Tools.run(Tools.path("umount"), mnt.toString());
                if (loop != null) {
                    Tools.run(Tools.path("losetup"), "-d", loop);
                }
                Tools.run(Tools.path("fusermount3"), "-u", fuse.toString());
                if (!nbdfuse.waitFor(30, TimeUnit.SECONDS)) {
                    nbdfuse.destroyForcibly();
                }
            }
        }
    }
}
