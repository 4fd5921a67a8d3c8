package uk.e42.tandem.config;

import java.util.OptionalLong;

/**
 * Numbers with drbd.conf's suffixes, converted like drbdadm's {@code new_strtoll}: K/M/G are
 * powers of 1024 bytes, {@code s} is a 512-byte sector, a bare number is already in the option's
 * unit; converting to a coarser unit rounds up.
 */
public final class Sizes {
    private Sizes() {
    }

    /**
     * {@code text} in {@code unit} ('1' bytes or plain, 'k' KiB, 's' sectors); empty when it is not
     * digits with at most one suffix, or overflows.
     */
    public static OptionalLong parse(String text, char unit) {
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
            digits++;
        }
        if (digits == 0 || digits < text.length() - 1 || digits > 18) {
            return OptionalLong.empty();
        }
        long number = Long.parseLong(text.substring(0, digits));
        if (digits == text.length()) {
            return OptionalLong.of(number);
        }
        int shift = switch (unit) {
            case 'k' -> -10;
            case 's' -> -9;
            default -> 0;
        };
        switch (text.charAt(digits)) {
            case 'K', 'k' -> shift += 10;
            case 'M', 'm' -> shift += 20;
            case 'G', 'g' -> shift += 30;
            case 's' -> shift += 9;
            default -> {
                return OptionalLong.empty();
            }
        }
        if (shift < 0) {
            return OptionalLong.of((number + (1L << -shift) - 1) >> -shift);
        }
        if (number > (Long.MAX_VALUE >> shift)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(number << shift);
    }

    static String unitName(char unit) {
        return switch (unit) {
            case 'k' -> "KiB";
            case 's' -> "sectors";
            default -> "";
        };
    }
}
