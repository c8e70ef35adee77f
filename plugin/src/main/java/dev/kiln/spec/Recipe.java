package dev.kiln.spec;

import java.util.List;
import java.util.Map;

/**
 * One operating system's recipe: its source bytes (part of the bake key) and the parsed,
 * schema-checked data the templates see as {@code recipe}.
 */
public record Recipe(String id, byte[] source, Map<String, Object> data) {

  /** The recipe's OpenSSH version, such as {@code 8.7}. */
  public String opensshVersion() {
    return String.valueOf(section("openssh").get("version"));
  }

  /** Algorithms of one kind ({@code kex}, {@code ciphers}, ...) Kiln may use with this recipe. */
  public List<String> algorithms(String kind) {
    return strings(section("openssh").get(kind));
  }

  /** Whether the sandbox cloud can bake this recipe for real (it has a {@code sandbox} section). */
  public boolean sandbox() {
    return data.get("sandbox") instanceof Map;
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> section(String key) {
    Object v = data.get(key);
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static List<String> strings(Object v) {
    return v instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
  }
}
