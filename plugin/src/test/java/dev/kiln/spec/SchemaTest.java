package dev.kiln.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchemaTest {
  private final Map<String, Object> schema =
      Map.of(
          "type",
          "object",
          "required",
          List.of("id"),
          "additionalProperties",
          false,
          "properties",
          Map.of(
              "id", Map.of("type", "string", "pattern", "^[a-z]+$"),
              "kind", Map.of("enum", List.of("apt", "dnf")),
              "n", Map.of("type", "integer", "minimum", 1, "maximum", 3),
              "list", Map.of("type", "array", "minItems", 1, "items", Map.of("type", "string"))));

  @Test
  void reportsEveryViolationWithItsPath() {
    List<String> problems =
        Schema.validate(
            Map.of("id", "Bad1", "kind", "zypper", "n", 7, "list", List.of(1), "extra", true),
            schema);
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "id: 'Bad1' does not match ^[a-z]+$",
            "kind: expected one of [apt, dnf], found 'zypper'",
            "n: 7 is above 3",
            "list[0]: expected string, found integer '1'",
            "extra: unknown key (known: " + ((Map<?, ?>) schema.get("properties")).keySet() + ")");
  }

  @Test
  void requiredAndValid() {
    assertThat(Schema.validate(Map.of(), schema)).containsExactly("id: required");
    assertThat(Schema.validate(Map.of("id", "ok", "list", List.of("a")), schema)).isEmpty();
  }
}
