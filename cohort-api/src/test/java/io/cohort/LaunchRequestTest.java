package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A launch that cannot run as asked is refused when it is built, with the field and the fix named. */
class LaunchRequestTest {
    private static final Program TRUE = Program.shell("true");

    @Test
    void cpuBelowTheSmallestEnforceableQuotaIsRefused() {
        assertThatThrownBy(() -> LaunchRequest.of(1, 0.001, 1, TRUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpu (cores per worker) must be at least 0.01").hasMessageContaining("got 0.001");
        assertThatThrownBy(() -> LaunchRequest.builder().cpu(0.005)).hasMessageContaining("at least 0.01");
        assertThat(LaunchRequest.of(1, 0.01, 1, TRUE).cpu()).isEqualTo(0.01);
    }

    @Test
    void memoryBelowWhatAnyProgramNeedsIsRefused() {
        assertThatThrownBy(() -> LaunchRequest.of(1, 1, 0.001, TRUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memory (GB per worker) must be at least 0.015625 (16 MB").hasMessageContaining("got 0.001");
        assertThatThrownBy(() -> LaunchRequest.builder().memoryGb(0.01)).hasMessageContaining("16 MB");
        assertThat(LaunchRequest.of(1, 1, 16.0 / 1024, TRUE).memoryGb()).isEqualTo(16.0 / 1024);
    }

    @Test
    void environmentNamesMustBeNames() {
        for (String bad : new String[] {"", "1ABC", "MY-VAR", "A B", "X=Y", "é", "A.B", "A\u0000"}) {
            assertThatThrownBy(() -> LaunchRequest.builder().env(bad, "1")).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("env name '" + bad + "' is not a variable name").hasMessageContaining("letters, digits and '_'");
            assertThatThrownBy(() -> new LaunchRequest(1, 1, 1, 0, TRUE, Map.of(bad, "1"))).as(bad)
                    .hasMessageContaining("is not a variable name");
        }
        assertThat(LaunchRequest.builder().code("x").env("_private", "1").env("My_Var2", "2").build().env())
                .containsOnlyKeys("_private", "My_Var2");
    }

    @Test
    void anEnvironmentTooLargeForExecIsRefused() {
        String big = "x".repeat(LaunchRequest.MAX_ENV_ENTRY_BYTES);
        assertThatThrownBy(() -> LaunchRequest.builder().env("BIG", big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("env BIG is " + (4 + big.length()) + " bytes").hasMessageContaining("MAX_ARG_STRLEN")
                .hasMessageContaining("file or a queue");
        // Bytes, not characters: 'é' is two.
        assertThatThrownBy(() -> LaunchRequest.builder().env("E", "é".repeat(70_000))).hasMessageContaining("MAX_ARG_STRLEN");

        Map<String, String> many = new LinkedHashMap<>();
        String value = "v".repeat(100_000);
        for (int i = 0; i < 12; i++) {
            many.put("V" + i, value);
        }
        assertThatThrownBy(() -> new LaunchRequest(1, 1, 1, 0, TRUE, many)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytes in all").hasMessageContaining("at most 1048576");
        many.remove("V0");
        many.remove("V1");
        many.remove("V2");
        assertThat(new LaunchRequest(1, 1, 1, 0, TRUE, many).env()).hasSize(9);
    }
}
