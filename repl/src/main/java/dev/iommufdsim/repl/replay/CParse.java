package dev.iommufdsim.repl.replay;

/**
 * The C library behaviour the oracle runner (tools/kernel-oracle/iommufd-ops.c) relies on
 * when it reads an operation list, reproduced exactly: strtoull(s, NULL, 0) and the
 * tokenizer (fgets into 1024 bytes, '#' comments, strtok on " \t\n", at most 32 tokens).
 */
final class CParse {
    /** fgets(line, sizeof line, f) with char line[1024]: at most 1023 characters a read. */
    static final int FGETS_MAX = 1023;
    /** char *t[32] in main(). */
    static final int MAX_TOKENS = 32;

    private CParse() {
    }

    /**
     * strtoull(s, NULL, 0) of glibc: leading white space, an optional sign, base 16 after
     * "0x" followed by a hex digit, base 8 after a leading 0, else 10; stops at the first
     * character that is not a digit of the base; no digits give 0; overflow gives
     * ULLONG_MAX (whatever the sign); a minus sign negates modulo 2^64.
     */
    static long strtoull(String s) {
        int i = 0;
        int n = s.length();
        while (i < n && isSpace(s.charAt(i))) {
            i++;
        }
        boolean neg = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            neg = s.charAt(i) == '-';
            i++;
        }
        int base = 10;
        if (i < n && s.charAt(i) == '0') {
            if (i + 2 < n && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X') && digit(s.charAt(i + 2), 16) >= 0) {
                base = 16;
                i += 2;
            } else {
                base = 8;
            }
        }
        long v = 0;
        boolean overflow = false;
        for (; i < n; i++) {
            int d = digit(s.charAt(i), base);
            if (d < 0) {
                break;
            }
            if (overflow || Long.compareUnsigned(v, Long.divideUnsigned(-1L - d, base)) > 0) {
                overflow = true;
                continue;
            }
            v = v * base + d;
        }
        if (overflow) {
            return -1L;
        }
        return neg ? -v : v;
    }

    /** An ASCII digit's value in this base, or -1. */
    static int digit(char c, int base) {
        int d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'z') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'Z') {
            d = c - 'A' + 10;
        } else {
            return -1;
        }
        return d < base ? d : -1;
    }

    /** isspace() in the C locale. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    /** The tokens of one fgets() read: '#' starts a comment, strtok on " \t\n", at most 32. */
    static String[] tokens(String line) {
        int hash = line.indexOf('#');
        if (hash >= 0) {
            line = line.substring(0, hash);
        }
        int nul = line.indexOf('\0');
        if (nul >= 0) {
            line = line.substring(0, nul);
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n && out.size() < MAX_TOKENS) {
            while (i < n && isDelim(line.charAt(i))) {
                i++;
            }
            if (i >= n) {
                break;
            }
            int start = i;
            while (i < n && !isDelim(line.charAt(i))) {
                i++;
            }
            out.add(line.substring(start, i));
        }
        return out.toArray(new String[0]);
    }

    private static boolean isDelim(char c) {
        return c == ' ' || c == '\t' || c == '\n';
    }

    /** The successive fgets() reads of a file's text: lines, a line longer than 1023 split. */
    static java.util.List<String> fgetsReads(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int nl = text.indexOf('\n', i);
            int end = nl < 0 ? n : nl + 1;
            if (end - i > FGETS_MAX) {
                end = i + FGETS_MAX;
            }
            out.add(text.substring(i, end));
            i = end;
        }
        return out;
    }

    /** strcspn(s, reject). */
    static int strcspn(String s, int from, String reject) {
        int i = from;
        while (i < s.length() && reject.indexOf(s.charAt(i)) < 0) {
            i++;
        }
        return i - from;
    }
}
