package uk.e42.tandem.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * drbdadm passes options through to drbdsetup after a {@code --} that comes before the verb:
 * {@code drbdadm -- --overwrite-data-of-peer primary r0}. Admins type it from muscle memory (the
 * seed does), so such options are moved behind the verb, where the verb's own parser reads them.
 */
public final class DrbdadmArgs {
    private DrbdadmArgs() {
    }

    public static String[] normalize(String... args) {
        int separator = List.of(args).indexOf("--");
        if (separator < 0) {
            return args;
        }
        int verb = separator + 1;
        while (verb < args.length && args[verb].startsWith("-")) {
            verb++;
        }
        if (verb == separator + 1 || verb == args.length) {
            return args;
        }
        List<String> result = new ArrayList<>(List.of(args).subList(0, separator));
        result.add(args[verb]);
        result.addAll(List.of(args).subList(separator + 1, verb));
        result.addAll(List.of(args).subList(verb + 1, args.length));
        return result.toArray(String[]::new);
    }
}
