package io.cohort.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An item's accessors: what they give, and how they refuse what the value does not hold. */
class ItemTest {
    final Item item = new Item(7, 2, "{\"lr\":0.1,\"depth\":3,\"whole\":4.0,\"name\":\"tree\",\"none\":null,"
            + "\"seed\":123456789012345678901234567890,\"big\":9999999999,\"tags\":[\"a\"]}");

    @Test
    void fieldsAreReadAsTheirTypes() {
        assertThat(item.id()).isEqualTo(7);
        assertThat(item.attempt()).isEqualTo(2);
        assertThat(item.getDouble("lr")).isEqualTo(0.1);
        assertThat(item.getInt("depth")).isEqualTo(3);
        assertThat(item.getLong("depth")).isEqualTo(3L);
        assertThat(item.getDouble("depth")).isEqualTo(3.0);
        assertThat(item.getLong("whole")).isEqualTo(4L);
        assertThat(item.getString("name")).isEqualTo("tree");
        assertThat(item.getString("depth")).isEqualTo("3");
        assertThat(item.getString("none")).isNull();
        assertThat(item.get("tags")).isEqualTo(List.of("a"));
        assertThat(item.getNumber("seed")).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(item.getDouble("seed")).isEqualTo(1.2345678901234568e29);
        assertThat(item.getLong("big")).isEqualTo(9_999_999_999L);
        assertThat(item.asMap().keySet()).containsExactly("lr", "depth", "whole", "name", "none", "seed", "big", "tags");
    }

    @Test
    void numbersAreNeverCutSilently() {
        assertThatThrownBy(() -> item.getLong("seed")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("field 'seed' of item 7 is 123456789012345678901234567890, not an integer within a long; use getNumber");
        assertThatThrownBy(() -> item.getLong("lr")).hasMessageContaining("field 'lr' of item 7 is 0.1, not an integer");
        assertThatThrownBy(() -> item.getInt("big")).hasMessage("field 'big' of item 7 is 9999999999, beyond an int; use getLong");
        assertThatThrownBy(() -> item.getDouble("name")).hasMessage("field 'name' of item 7 is not a number: \"tree\"");
        assertThatThrownBy(() -> item.getDouble("none")).hasMessage("field 'none' of item 7 is not a number: null");
    }

    @Test
    void missingFieldsAndNonObjectItemsAreNamed() {
        assertThatThrownBy(() -> item.get("depht")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("item 7 has no field 'depht'; it has [lr, depth, whole");
        Item list = new Item(8, 1, "[1,2]");
        assertThat(list.value()).isEqualTo(List.of(1L, 2L));
        assertThatThrownBy(list::asMap).isInstanceOf(IllegalStateException.class).hasMessage("item 8 is not a JSON object: [1,2]");
        assertThat(new Item(9, 1, "\"x\"").value()).isEqualTo("x");
        assertThat(new Item(10, 1, "{}").asMap()).isEqualTo(Map.of());
    }
}
