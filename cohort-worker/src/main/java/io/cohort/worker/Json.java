package io.cohort.worker;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader and writer, so the worker library needs nothing beyond the JDK. Reads into
 * Map (in the text's order), List, String, Boolean, null and numbers: Long, or BigInteger for an
 * integer beyond a long (the session accepts any integer); Double, or BigDecimal for a number beyond
 * a double's range. Writes those, any Number, arrays, and records. Errors name the character
 * position (from 0) where the text went wrong.
 */
public final class Json {
    /** Deeper nesting is refused rather than overflowing the stack. */
    static final int MAX_DEPTH = 1000;
    private final String s;
    private int i;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    /** Parses JSON text. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.space();
        Object v = p.value();
        p.space();
        if (p.i != text.length()) {
            throw p.error("unexpected text after the value");
        }
        return v;
    }

    /** Writes a value as JSON text. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object v, StringBuilder out) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof CharSequence || v instanceof Character || v instanceof Enum<?>) {
            quote(v.toString(), out);
        } else if (v instanceof Double d && (d.isNaN() || d.isInfinite()) || v instanceof Float f && (f.isNaN() || f.isInfinite())) {
            throw new IllegalArgumentException("JSON has no " + v + "; store it as null or a string");
        } else if (v instanceof Number || v instanceof Boolean) {
            out.append(v);
        } else if (v instanceof Map<?, ?> m) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.append(first ? "" : ",");
                first = false;
                quote(String.valueOf(e.getKey()), out);
                out.append(':');
                write(e.getValue(), out);
            }
            out.append('}');
        } else if (v instanceof Iterable<?> it) {
            out.append('[');
            boolean first = true;
            for (Object o : it) {
                out.append(first ? "" : ",");
                first = false;
                write(o, out);
            }
            out.append(']');
        } else if (v.getClass().isArray()) {
            List<Object> list = new ArrayList<>();
            for (int k = 0; k < Array.getLength(v); k++) {
                list.add(Array.get(v, k));
            }
            write(list, out);
        } else if (v.getClass().isRecord()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (RecordComponent c : v.getClass().getRecordComponents()) {
                try {
                    c.getAccessor().setAccessible(true);
                    m.put(c.getName(), c.getAccessor().invoke(v));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalArgumentException("cannot read " + c.getName() + " of " + v.getClass().getName(), e);
                }
            }
            write(m, out);
        } else {
            throw new IllegalArgumentException("cannot write a " + v.getClass().getName()
                    + " as JSON; use maps, lists, records, strings, numbers or booleans");
        }
    }

    private static void quote(String str, StringBuilder out) {
        out.append('"');
        for (int k = 0; k < str.length(); k++) {
            char c = str.charAt(k);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    boolean pair = Character.isHighSurrogate(c) && k + 1 < str.length() && Character.isLowSurrogate(str.charAt(k + 1))
                            || Character.isLowSurrogate(c) && k > 0 && Character.isHighSurrogate(str.charAt(k - 1));
                    if (c < 0x20 || Character.isSurrogate(c) && !pair) {
                        // Control characters, and a lone surrogate (which UTF-8 cannot carry), as escapes.
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("a value was expected");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default: return number();
        }
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " arrays and objects");
        }
    }

    private Map<String, Object> object() {
        enter();
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        space();
        if (peek('}')) {
            i++;
            depth--;
            return m;
        }
        while (true) {
            space();
            if (!peek('"')) {
                throw error("a key in quotes was expected");
            }
            String k = string();
            space();
            expect(':');
            space();
            m.put(k, value());
            space();
            if (peek(',')) {
                i++;
            } else {
                expect('}');
                depth--;
                return m;
            }
        }
    }

    private List<Object> array() {
        enter();
        List<Object> l = new ArrayList<>();
        i++;
        space();
        if (peek(']')) {
            i++;
            depth--;
            return l;
        }
        while (true) {
            space();
            l.add(value());
            space();
            if (peek(',')) {
                i++;
            } else {
                expect(']');
                depth--;
                return l;
            }
        }
    }

    private String string() {
        int start = i;
        i++;
        StringBuilder b = new StringBuilder();
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') {
                i++;
                return b.toString();
            }
            if (c < 0x20) {
                throw error("a control character (U+" + String.format("%04X", (int) c) + ") must be escaped in a string");
            }
            i++;
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) {
                break;
            }
            char e = s.charAt(i);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    // \\uXXXX is one UTF-16 unit; a pair of them (a surrogate pair) makes one character beyond U+FFFF.
                    int code = 0;
                    for (int k = 1; k <= 4; k++) {
                        int digit = i + k < s.length() ? Character.digit(s.charAt(i + k), 16) : -1;
                        if (digit < 0) {
                            i--;
                            throw error("a \\u escape needs four hex digits");
                        }
                        code = code * 16 + digit;
                    }
                    b.append((char) code);
                    i += 4;
                }
                default -> {
                    i--;
                    throw error("'\\" + e + "' is not an escape (use \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX)");
                }
            }
            i++;
        }
        i = start;
        throw error("a string was not closed");
    }

    /**
     * A number as JSON writes it: an integer becomes a Long, or a BigInteger beyond a long's range; a
     * number with a fraction or an exponent becomes a Double, or a BigDecimal beyond a double's range.
     */
    private Object number() {
        int start = i;
        if (peek('-')) {
            i++;
        }
        if (peek('0')) {
            i++;
        } else if (digits() == 0) {
            i = start;
            throw error(i < s.length() ? "unexpected character '" + s.charAt(i) + "'" : "a value was expected");
        }
        boolean integer = true;
        if (peek('.')) {
            integer = false;
            i++;
            if (digits() == 0) {
                throw error("a digit was expected after the decimal point");
            }
        }
        if (peek('e') || peek('E')) {
            integer = false;
            i++;
            if (peek('+') || peek('-')) {
                i++;
            }
            if (digits() == 0) {
                throw error("a digit was expected in the exponent");
            }
        }
        String n = s.substring(start, i);
        if (integer) {
            if (n.length() < 19) {
                return Long.parseLong(n);
            }
            BigInteger big = new BigInteger(n);
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        double d = Double.parseDouble(n);
        if (Double.isInfinite(d) || d == 0 && new BigDecimal(n).signum() != 0) {
            return new BigDecimal(n);
        }
        return d;
    }

    private int digits() {
        int from = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i - from;
    }

    private Object literal(String word, Object value) {
        if (!s.startsWith(word, i)) {
            throw error("unexpected text (" + word + "?)");
        }
        i += word.length();
        return value;
    }

    private boolean peek(char c) {
        return i < s.length() && s.charAt(i) == c;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("'" + c + "' was expected" + (i < s.length() ? ", not '" + s.charAt(i) + "'" : " before the end"));
        }
        i++;
    }

    /** JSON's white space: space, tab, line feed, carriage return. */
    private void space() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) {
            i++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("bad JSON at character " + i + ": " + what);
    }
}
