package io.cohort.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.SessionOptions;
import io.cohort.core.store.Durability;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session's settings: read and checked once, each refusal naming the setting, where it is set, and what it takes. */
class CoreSettingsTest {
    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty("cohort.config");
    }

    private static CoreSettings with(String key, String value) {
        return CoreSettings.from(SessionOptions.builder().setting(key, value).build());
    }

    @Test
    void defaultsAndGivenValues() {
        CoreSettings d = CoreSettings.from(SessionOptions.builder().build());
        assertThat(d.durability()).isEqualTo(Durability.COMMIT);
        assertThat(d.maxRequestBytes()).isEqualTo(16L << 20);
        assertThat(d.snapshotMaxBytes()).isEqualTo(2L << 30);
        assertThat(d.sessionId()).isNull();
        assertThat(with("java.options", " -Xss2m  -Dx=1 ").javaOptions()).containsExactly("-Xss2m", "-Dx=1");
        assertThat(with("maxRequestBytes", "1e6").maxRequestBytes()).isEqualTo(1_000_000);
        assertThat(with("durability", "FSYNC").durability()).isEqualTo(Durability.FSYNC);
        assertThat(d.javaWarmUp()).isTrue();
        assertThat(with("java.warmUp", "off").javaWarmUp()).isFalse();
    }

    @Test
    void aBadValueIsRefusedNamingTheSettingWhereItIsSetAndWhatItTakes() {
        assertThatThrownBy(() -> with("durability", "sometimes"))
                .hasMessage("the setting durability (-Dcohort.durability, COHORT_DURABILITY or the config file) must be"
                        + " commit, fsync or off, got 'sometimes'");
        assertThatThrownBy(() -> with("maxRequestBytes", "lots")).hasMessageContaining("maxRequestBytes")
                .hasMessageContaining("must be a whole number of bytes, at least 1024, got 'lots'");
        assertThatThrownBy(() -> with("snapshotMaxBytes", "1.5")).hasMessageContaining("COHORT_SNAPSHOTMAXBYTES");
        assertThatThrownBy(() -> with("sessionId", "no spaces please")).hasMessageContaining("cohort serve --id");
        assertThatThrownBy(() -> with("kernel.python3", " ")).hasMessageContaining("COHORT_KERNEL_PYTHON3");
        assertThatThrownBy(() -> with("java.warmUp", "later"))
                .hasMessage("the setting java.warmUp (-Dcohort.java.warmUp, COHORT_JAVA_WARMUP or the config file) must be"
                        + " on or off, got 'later'");
    }

    @Test
    void aSessionWithABadSettingDoesNotOpen() {
        assertThatThrownBy(() -> new CohortSessionFactory().open(SessionOptions.builder().home(dir)
                .setting("durability", "maybe").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("durability");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void theConfigFileIsReadOnceWhenTheOptionsAreBuilt() throws Exception {
        Path file = dir.resolve("config.properties");
        Files.writeString(file, "durability=off\n");
        System.setProperty("cohort.config", file.toString());
        SessionOptions o = SessionOptions.builder().home(dir).build();

        Files.writeString(file, "durability=fsync\n");

        assertThat(o.setting("durability", null)).isEqualTo("off");
        assertThat(CoreSettings.from(o).durability()).isEqualTo(Durability.OFF);
    }
}
