package uk.e42.tandem.nbd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import uk.e42.tandem.disk.FileBlockStore;

/**
 * Serves one file as an NBD export, for benchmarks and manual checks until the daemon serves volumes:
 * {@code NbdFileServer FILE [--host H] [--port P] [--name NAME]... [--threads N]}. Prints "listening on H:P" once
 * clients may connect and runs until killed.
 */
public final class NbdFileServer {

    private NbdFileServer() {
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 10809;
        int threads = NbdServer.DEFAULT_WORKERS;
        List<String> names = new ArrayList<>();
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = value(args, ++i);
                case "--port" -> port = Integer.parseInt(value(args, ++i));
                case "--name" -> names.add(value(args, ++i));
                case "--threads" -> threads = Integer.parseInt(value(args, ++i));
                default -> {
                    if (file != null || args[i].startsWith("--")) {
                        usage("unexpected argument '" + args[i] + "'");
                    }
                    file = Path.of(args[i]);
                }
            }
        }
        if (file == null) {
            usage("no file to serve");
        }
        if (!Files.isRegularFile(file)) {
            usage(file + " is not a regular file (create it first, e.g. truncate -s 1G " + file + ")");
        }
        if (names.isEmpty()) {
            names.add(file.getFileName().toString());
        }
        FileBlockStore store = FileBlockStore.open(file);
        NbdServer server = new NbdServer(NbdExports.of(NbdExport.writable(names, store)), threads);
        int bound = server.listen(host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            try {
                store.close();
            } catch (IOException e) {
                System.err.println("closing " + e.getMessage());
            }
        }));
        System.out.println("listening on " + host + ":" + bound);
        System.out.flush();
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(String problem) {
        System.err.println("NbdFileServer: " + problem);
        System.err.println("usage: NbdFileServer FILE [--host 127.0.0.1] [--port 10809] [--name EXPORT]... [--threads 16]");
        System.exit(2);
    }
}
