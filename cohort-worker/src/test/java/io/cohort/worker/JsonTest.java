package io.cohort.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker library's own JSON: what it reads, what it writes, and how it says what is wrong. */
class JsonTest {

    @Test
    void integersBeyondALongAreReadAsBigIntegersAndWrittenBackExactly() {
        // The session stores any integer; before, the worker refused these ("not a number").
        String text = "{\"seed\":123456789012345678901234567890,\"neg\":-98765432109876543210}";
        Map<?, ?> m = (Map<?, ?>) Json.parse(text);
        assertThat(m.get("seed")).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(m.get("neg")).isEqualTo(new BigInteger("-98765432109876543210"));
        assertThat(Json.write(m)).isEqualTo(text);
    }

    @Test
    void integersWithinALongStayLongsAtBothEdges() {
        assertThat(Json.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Json.parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(Json.parse("9223372036854775808")).isEqualTo(new BigInteger("9223372036854775808"));
        assertThat(Json.parse("-9223372036854775809")).isEqualTo(new BigInteger("-9223372036854775809"));
        assertThat(Json.parse("0")).isEqualTo(0L);
        assertThat(Json.parse("-0")).isEqualTo(0L);
        assertThat(Json.parse("1000000000000000000")).isEqualTo(1_000_000_000_000_000_000L);
    }

    @Test
    void decimalsAreDoublesAndBeyondADoubleBigDecimals() {
        assertThat(Json.parse("0.1")).isEqualTo(0.1);
        assertThat(Json.parse("-2.5e3")).isEqualTo(-2500.0);
        assertThat(Json.parse("1E2")).isEqualTo(100.0);
        assertThat(Json.parse("1e400")).isEqualTo(new BigDecimal("1e400"));
        assertThat(Json.parse("-1e400")).isEqualTo(new BigDecimal("-1e400"));
        assertThat(Json.parse("1e-400")).isEqualTo(new BigDecimal("1e-400"));
        assertThat(Json.parse("0.0")).isEqualTo(0.0);
        assertThat(Json.write(List.of(new BigDecimal("1E+400"), 0.5, 7L, 3))).isEqualTo("[1E+400,0.5,7,3]");
    }

    @Test
    void numbersFollowJsonsGrammar() {
        for (String bad : new String[] {"01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x10", "1.5.2", "NaN", "Infinity"}) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("bad JSON at character ");
        }
    }

    @Test
    void unicodeEscapesAndSurrogatePairsAreRead() {
        assertThat(Json.parse("\"\\u00e9t\\u00C9\"")).isEqualTo("étÉ");
        // U+1F600 as a surrogate pair, escaped and raw.
        assertThat(Json.parse("\"\\ud83d\\ude00\"")).isEqualTo("😀");
        assertThat(Json.parse("\"😀\"")).isEqualTo("😀");
        assertThat(Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"")).isEqualTo("\"\\/\b\f\n\r\t");
        assertThat(Json.parse("\"λ=0.3\"")).isEqualTo("λ=0.3");
    }

    @Test
    void writingEscapesWhatJsonNeedsAndKeepsEveryCharacter() {
        assertThat(Json.write("a\"b\\c\nd\re\tf\u0001")).isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001\"");
        assertThat(Json.write("😀é")).isEqualTo("\"😀é\"");
        // A lone surrogate cannot travel as UTF-8: it is escaped, and reads back the same.
        String lone = "x\ud800y\udc00";
        assertThat(Json.write(lone)).isEqualTo("\"x\\ud800y\\udc00\"");
        assertThat(Json.parse(Json.write(lone))).isEqualTo(lone);
        for (String s : new String[] {"", "plain", "\u0000\u001f", "😀\ud83d", "中文 \u2028"}) {
            assertThat(Json.parse(Json.write(s))).as(s).isEqualTo(s);
        }
    }

    @Test
    void writesMapsListsArraysRecordsAndRefusesWhatJsonCannotHold() {
        record Point(int x, String label) {
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", List.of(1, 2));
        m.put("a", new int[] {3});
        m.put("p", new Point(4, "q"));
        m.put("n", null);
        m.put("t", true);
        assertThat(Json.write(m)).isEqualTo("{\"b\":[1,2],\"a\":[3],\"p\":{\"x\":4,\"label\":\"q\"},\"n\":null,\"t\":true}");
        Map<String, Object> back = new LinkedHashMap<>(Map.of("b", List.of(1L, 2L), "a", List.of(3L),
                "p", Map.of("x", 4L, "label", "q"), "t", true));
        back.put("n", null);
        assertThat(Json.parse(Json.write(m))).isEqualTo(back);
        assertThatThrownBy(() -> Json.write(Double.NaN)).hasMessageContaining("JSON has no NaN");
        assertThatThrownBy(() -> Json.write(Float.POSITIVE_INFINITY)).hasMessageContaining("JSON has no Infinity");
        assertThatThrownBy(() -> Json.write(new Object())).hasMessageContaining("cannot write a java.lang.Object");
    }

    @Test
    void objectsKeepTheirOrderAndWhiteSpaceIsJsons() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(" \t\r\n{ \"z\" : 1 , \"a\" : [ ] , \"m\" : { } }\n");
        assertThat(m.keySet()).containsExactly("z", "a", "m");
        assertThat(m.get("a")).isEqualTo(List.of());
        assertThat(m.get("m")).isEqualTo(Map.of());
        // Only space, tab, line feed and carriage return are white space in JSON.
        assertThatThrownBy(() -> Json.parse("\u00a01")).hasMessageStartingWith("bad JSON at character 0");
        assertThatThrownBy(() -> Json.parse("[1,\u000b2]")).hasMessageStartingWith("bad JSON at character 3");
    }

    @Test
    void nestingIsBoundedInsteadOfOverflowingTheStack() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThat(Json.parse(ok)).isInstanceOf(List.class);
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bad JSON at character " + Json.MAX_DEPTH + ": nested deeper than " + Json.MAX_DEPTH
                        + " arrays and objects");
        String objects = "{\"a\":".repeat(Json.MAX_DEPTH + 1) + "1" + "}".repeat(Json.MAX_DEPTH + 1);
        assertThatThrownBy(() -> Json.parse(objects)).hasMessageContaining("nested deeper than");
        // Writing nests as deep as the value does.
        List<Object> nested = new ArrayList<>();
        List<Object> inner = nested;
        for (int k = 0; k < 100; k++) {
            List<Object> next = new ArrayList<>();
            inner.add(next);
            inner = next;
        }
        assertThat(Json.parse(Json.write(nested))).isEqualTo(nested);
    }

    @Test
    void invalidInputIsRefusedNamingThePosition() {
        Object[][] cases = {
                {"", 0, "a value was expected"},
                {"   ", 3, "a value was expected"},
                {"{\"a\":1,}", 7, "a key in quotes was expected"},
                {"{\"a\" 1}", 5, "':' was expected, not '1'"},
                {"[1 2]", 3, "']' was expected, not '2'"},
                {"[1,2", 4, "']' was expected before the end"},
                {"\"abc", 0, "a string was not closed"},
                {"\"a\\x\"", 2, "'\\x' is not an escape"},
                {"\"\\u12g4\"", 1, "a \\u escape needs four hex digits"},
                {"\"\\u12\"", 1, "a \\u escape needs four hex digits"},
                {"\"a\nb\"", 2, "a control character (U+000A) must be escaped"},
                {"tru", 0, "unexpected text (true?)"},
                {"nul", 0, "unexpected text (null?)"},
                {"1 2", 2, "unexpected text after the value"},
                {"{} x", 3, "unexpected text after the value"},
                {"@", 0, "unexpected character '@'"},
                {"1.x", 2, "a digit was expected after the decimal point"},
                {"2e-", 3, "a digit was expected in the exponent"},
        };
        for (Object[] c : cases) {
            assertThatThrownBy(() -> Json.parse((String) c[0])).as("%s", c[0]).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("bad JSON at character " + c[1] + ": " + c[2]);
        }
    }
}
