package uk.e42.tandem.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The statements of one section in source order. drbdadm keeps repeated options (and prints them
 * twice); the last one is the one that takes effect, which is what {@link #value} returns.
 */
public record Options(List<Option> list) {
    public static final Options EMPTY = new Options(List.of());

    public Options {
        list = List.copyOf(list);
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    /** The option that takes effect (the last one of that name). */
    public Optional<Option> option(String name) {
        for (int i = list.size() - 1; i >= 0; i--) {
            if (list.get(i).name().equals(name)) {
                return Optional.of(list.get(i));
            }
        }
        return Optional.empty();
    }

    public Optional<String> value(String name) {
        return option(name).map(Option::value);
    }

    /** These options with {@code later}'s appended: what drbdadm does when a resource inherits. */
    public Options then(Options later) {
        if (later.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return later;
        }
        List<Option> all = new ArrayList<>(list);
        all.addAll(later.list);
        return new Options(all);
    }
}
