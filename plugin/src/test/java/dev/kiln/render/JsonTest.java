package dev.kiln.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void sortsKeysAndEscapes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("b", List.of(1, true));
    m.put("a", "q\"\\\n\u0001");
    m.put("c", null);
    m.put("d", Map.of());
    assertThat(Json.write(m))
        .isEqualTo(
            "{\n  \"a\": \"q\\\"\\\\\\n\\u0001\",\n  \"b\": [\n    1,\n    true\n  ],\n"
                + "  \"c\": null,\n  \"d\": {}\n}\n");
    assertThat(Json.write(Arrays.asList())).isEqualTo("[]\n");
  }
}
