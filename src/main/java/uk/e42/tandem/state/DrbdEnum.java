package uk.e42.tandem.state;

import java.util.function.Supplier;

/** DRBD's state enums: each constant has a wire value and the name DRBD prints. */
interface DrbdEnum {
    int wireValue();

    String drbdName();

    /** The constant with this wire value, or the caller's error naming what was expected. */
    static <E extends Enum<E> & DrbdEnum> E byWire(Class<E> type, int value, Supplier<String> problem) {
        for (E e : type.getEnumConstants()) {
            if (e.wireValue() == value) {
                return e;
            }
        }
        throw new IllegalArgumentException(problem.get());
    }

    /** The constant DRBD prints as {@code name}, or the caller's error naming what was expected. */
    static <E extends Enum<E> & DrbdEnum> E byName(Class<E> type, String name, Supplier<String> problem) {
        for (E e : type.getEnumConstants()) {
            if (e.drbdName().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException(problem.get());
    }
}
