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

  @Test
  void patternsMatchTheWholeValue() {
    Map<String, Object> s = Map.of("type", "string", "pattern", "[a-z]+");
    assertThat(Schema.validate("abc", s)).isEmpty();
    assertThat(Schema.validate("abc def", s)).hasSize(1);
    // With find(), ^...$ accepted a trailing newline and an unanchored pattern any line.
    assertThat(Schema.validate("abc\n", Map.of("type", "string", "pattern", "^[a-z]+$")))
        .hasSize(1);
  }

  /**
   * Every string of the real recipe schema has a pattern or an enum, and every pattern refuses
   * newlines, quotes and shell metacharacters, except sshd.stockConfig (multi-line sshd text that
   * only the local check reads; it never reaches a script or the image).
   */
  @Test
  @SuppressWarnings("unchecked")
  void recipeStringsCannotCarryNewlinesQuotesOrShell() throws Exception {
    Map<String, Object> schema;
    try (var in =
        getClass().getClassLoader().getResourceAsStream("kiln/recipes/recipe.schema.json")) {
      schema = new com.fasterxml.jackson.databind.ObjectMapper().readValue(in, Map.class);
    }
    java.util.List<String> strings = new java.util.ArrayList<>();
    walk(schema, "", strings);
    assertThat(strings).hasSizeGreaterThan(20);
    for (String hostile : List.of("x\ny", "x'y", "x\"y", "x$y", "x`y", "x\\y", "x;y")) {
      for (String path : strings) {
        if (path.equals(".sshd.stockConfig")) {
          continue;
        }
        Map<String, Object> node = (Map<String, Object>) at(schema, path);
        assertThat(Schema.validate(hostile, node)).as(path + " refuses " + hostile).isNotEmpty();
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void walk(Map<String, Object> node, String path, List<String> out) {
    Object type = node.get("type");
    boolean string = "string".equals(type) || (type instanceof List<?> l && l.contains("string"));
    if (string) {
      assertThat(node.get("pattern") != null || node.get("enum") != null)
          .as(path + " has a pattern or an enum")
          .isTrue();
      out.add(path);
    }
    if (node.get("properties") instanceof Map<?, ?> props) {
      props.forEach((k, v) -> walk((Map<String, Object>) v, path + "." + k, out));
    }
    if (node.get("items") instanceof Map<?, ?> items) {
      walk((Map<String, Object>) items, path + "[]", out);
    }
  }

  @SuppressWarnings("unchecked")
  private static Object at(Map<String, Object> schema, String path) {
    Object node = schema;
    for (String seg : path.substring(1).split("\\.")) {
      boolean item = seg.endsWith("[]");
      String key = item ? seg.substring(0, seg.length() - 2) : seg;
      node = ((Map<String, Object>) ((Map<String, Object>) node).get("properties")).get(key);
      if (item) {
        node = ((Map<String, Object>) node).get("items");
      }
    }
    return node;
  }
}
