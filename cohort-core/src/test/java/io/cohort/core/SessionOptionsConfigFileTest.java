package io.cohort.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config file: the last place a setting is looked for. */
class SessionOptionsConfigFileTest {
    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        System.clearProperty("cohort.config");
        System.clearProperty("cohort.slurm.partition");
    }

    @Test
    void settingsComeFromTheConfigFileAfterPropertiesAndTheBuilder() throws Exception {
        Path file = dir.resolve("config.properties");
        Files.writeString(file, "backend=slurm\nslurm.partition=gpu\nslurm.account = physics\n# a comment\n");
        System.setProperty("cohort.config", file.toString());
        SessionOptions o = SessionOptions.builder().home(dir).build();
        assertThat(o.backend()).isEqualTo("slurm");
        assertThat(o.setting("slurm.partition", null)).isEqualTo("gpu");
        assertThat(o.setting("slurm.account", null)).isEqualTo("physics");
        assertThat(o.setting("slurm.time", "none")).isEqualTo("none");

        System.setProperty("cohort.slurm.partition", "cpu");
        assertThat(o.setting("slurm.partition", null)).isEqualTo("cpu");
        SessionOptions built = SessionOptions.builder().home(dir).backend("local").setting("slurm.partition", "big").build();
        assertThat(built.backend()).isEqualTo("local");
        assertThat(built.setting("slurm.partition", null)).isEqualTo("big");
    }

    @Test
    void aNamedConfigFileThatCannotBeReadIsAClearError() {
        System.setProperty("cohort.config", dir.resolve("missing.properties").toString());
        assertThatThrownBy(() -> SessionOptions.builder().home(dir).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read the cohort config file " + dir.resolve("missing.properties"))
                .hasMessageContaining("named by cohort.config / COHORT_CONFIG");
    }
}
