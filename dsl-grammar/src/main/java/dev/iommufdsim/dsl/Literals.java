package dev.iommufdsim.dsl;

/**
 * Decoding of number and string tokens. Returns null and leaves a message in
 * {@link #error} when the text is not valid, so the AST builder reports it at the token.
 */
final class Literals {
    private static final long MAX_U64 = -1L;

    /** The problem with the last literal decoded, or null. */
    String error;

    /** The value of a NUMBER token (unsigned 64-bit in a long), or null. */
    Long number(String text) {
        error = null;
        String digits = text.replace("_", "");
        int radix = 10;
        long multiplier = 1;
        if (digits.length() > 2 && digits.charAt(0) == '0' && (digits.charAt(1) | 0x20) == 'x') {
            radix = 16;
            digits = digits.substring(2);
        } else if (digits.length() > 2 && digits.charAt(0) == '0' && (digits.charAt(1) | 0x20) == 'b') {
            radix = 2;
            digits = digits.substring(2);
        } else {
            char last = Character.toUpperCase(digits.charAt(digits.length() - 1));
            int shift = switch (last) {
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                default -> 0;
            };
            if (shift != 0) {
                multiplier = 1L << shift;
                digits = digits.substring(0, digits.length() - 1);
            }
        }
        if (digits.isEmpty()) {
            error = "number '" + text + "' has no digits";
            return null;
        }
        long value;
        try {
            value = Long.parseUnsignedLong(digits, radix);
        } catch (NumberFormatException e) {
            error = "number " + text + " does not fit in 64 bits";
            return null;
        }
        if (multiplier != 1 && Long.compareUnsigned(value, Long.divideUnsigned(MAX_U64, multiplier)) > 0) {
            error = "number " + text + " does not fit in 64 bits";
            return null;
        }
        return value * multiplier;
    }

    /** The value of a STRING token (quotes included in {@code text}), or null. */
    String string(String text) {
        error = null;
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 1; i < text.length() - 1; i++) {
            char c = text.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = text.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '0' -> sb.append('\0');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case 'x' -> {
                    int v = i + 2 < text.length() - 1 ? hex2(text, i + 1) : -1;
                    if (v < 0) {
                        error = "'\\x' must be followed by two hex digits";
                        return null;
                    }
                    sb.append((char) v);
                    i += 2;
                }
                default -> {
                    error = "unknown escape '\\" + e + "' in string (use \\n \\t \\r \\0 \\\\ \\\" or \\xHH)";
                    return null;
                }
            }
        }
        return sb.toString();
    }

    private static int hex2(String s, int at) {
        int hi = Character.digit(s.charAt(at), 16);
        int lo = Character.digit(s.charAt(at + 1), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}
