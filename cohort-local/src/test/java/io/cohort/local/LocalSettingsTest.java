package io.cohort.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.Session;
import io.cohort.SessionOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local backend's settings: checked when the session opens, each refusal naming the setting and what it takes. */
class LocalSettingsTest {
    @TempDir
    Path home;

    @Test
    void defaultsAndGivenValues() {
        LocalSettings d = LocalSettings.from(SessionOptions.builder().build());
        assertThat(d).isEqualTo(new LocalSettings("127.0.0.1", true, "nvidia-smi", true, LocalSettings.DEFAULT_PIDS, false));
        assertThat(LocalSettings.from(SessionOptions.builder().setting("local.cgroups", "OFF").build()).cgroups()).isFalse();
        assertThat(LocalSettings.from(SessionOptions.builder().setting("local.pidNamespace", "off").build()).pidNamespace()).isFalse();
        assertThat(LocalSettings.from(SessionOptions.builder().setting("local.pids", "64").build()).pidsMax()).isEqualTo(64);
        assertThat(LocalSettings.from(SessionOptions.builder().setting("local.pids", "max").build()).pidsMax()).isZero();
    }

    @Test
    void aSessionWithABadLocalSettingDoesNotOpen() {
        assertThatThrownBy(() -> Session.open(SessionOptions.builder().home(home).console(null)
                .setting("local.cgroups", "sometimes").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the setting local.cgroups (-Dcohort.local.cgroups, COHORT_LOCAL_CGROUPS or the config file) is"
                        + " auto (use cgroups where they are writable) or off, got 'sometimes'");
        assertThatThrownBy(() -> LocalSettings.from(SessionOptions.builder().setting("local.masterIp", "my laptop").build()))
                .hasMessageContaining("local.masterIp").hasMessageContaining("such as 127.0.0.1");
        assertThatThrownBy(() -> LocalSettings.from(SessionOptions.builder().setting("local.pidNamespace", "sometimes").build()))
                .hasMessageStartingWith("the setting local.pidNamespace (-Dcohort.local.pidNamespace,")
                .hasMessageEndingWith(" or off, got 'sometimes'");
        for (String bad : new String[] {"8", "lots", "-1", "0"}) {
            assertThatThrownBy(() -> LocalSettings.from(SessionOptions.builder().setting("local.pids", bad).build()))
                    .hasMessageStartingWith("the setting local.pids (-Dcohort.local.pids,")
                    .hasMessageEndingWith("(a whole number of at least 16, default 8192) or max for no limit, got '" + bad + "'");
        }
    }
}
