package dev.kiln.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A JSON-Schema subset for recipes: type, required, properties, additionalProperties (false), enum,
 * pattern (matching the whole value: recipe strings reach shell scripts and sshd files, so a
 * pattern that matched a part would let a newline through), items, minItems, minimum, maximum.
 * Returns every violation with its path.
 */
public final class Schema {
  private Schema() {}

  public static List<String> validate(Object value, Map<String, Object> schema) {
    List<String> out = new ArrayList<>();
    check(value, schema, "", out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void check(Object v, Map<String, Object> s, String path, List<String> out) {
    String at = path.isEmpty() ? "(top)" : path;
    Object type = s.get("type");
    if (type != null && !hasType(v, type)) {
      out.add(at + ": expected " + type + ", found " + describe(v));
      return;
    }
    if (s.get("enum") instanceof List<?> allowed && !allowed.contains(v)) {
      out.add(at + ": expected one of " + allowed + ", found '" + v + "'");
    }
    if (s.get("pattern") instanceof String re
        && v instanceof String str
        && !Pattern.compile(re).matcher(str).matches()) {
      out.add(at + ": '" + str + "' does not match " + re);
    }
    if (v instanceof Number n) {
      if (s.get("minimum") instanceof Number min && n.doubleValue() < min.doubleValue()) {
        out.add(at + ": " + n + " is below " + min);
      }
      if (s.get("maximum") instanceof Number max && n.doubleValue() > max.doubleValue()) {
        out.add(at + ": " + n + " is above " + max);
      }
    }
    if (v instanceof List<?> list) {
      if (s.get("minItems") instanceof Number min && list.size() < min.intValue()) {
        out.add(at + ": expected at least " + min + " items, found " + list.size());
      }
      if (s.get("items") instanceof Map<?, ?> items) {
        for (int i = 0; i < list.size(); i++) {
          check(list.get(i), (Map<String, Object>) items, path + "[" + i + "]", out);
        }
      }
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> props =
          s.get("properties") instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of();
      if (s.get("required") instanceof List<?> req) {
        for (Object k : req) {
          if (!map.containsKey(k)) {
            out.add(join(path, k) + ": required");
          }
        }
      }
      for (var e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        Object sub = props.get(key);
        if (sub instanceof Map<?, ?> subSchema) {
          check(e.getValue(), (Map<String, Object>) subSchema, join(path, key), out);
        } else if (Boolean.FALSE.equals(s.get("additionalProperties"))) {
          out.add(join(path, key) + ": unknown key (known: " + props.keySet() + ")");
        }
      }
    }
  }

  private static String join(String path, Object key) {
    return path.isEmpty() ? String.valueOf(key) : path + "." + key;
  }

  private static boolean hasType(Object v, Object type) {
    if (type instanceof List<?> types) {
      return types.stream().anyMatch(t -> hasType(v, t));
    }
    return switch (String.valueOf(type)) {
      case "object" -> v instanceof Map;
      case "array" -> v instanceof List;
      case "string" -> v instanceof String;
      case "integer" -> v instanceof Integer || v instanceof Long;
      case "number" -> v instanceof Number;
      case "boolean" -> v instanceof Boolean;
      case "null" -> v == null;
      default -> false;
    };
  }

  private static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Map) {
      return "an object";
    }
    if (v instanceof List) {
      return "an array";
    }
    return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " '" + v + "'";
  }
}
