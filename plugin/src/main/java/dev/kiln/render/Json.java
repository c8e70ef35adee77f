package dev.kiln.render;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Canonical JSON: object keys sorted, two-space indent, {@code \n} line ends, no trailing
 * whitespace; the same value always gives the same bytes.
 */
public final class Json {
  private Json() {}

  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(value, sb, "");
    return sb.append('\n').toString();
  }

  private static void write(Object v, StringBuilder sb, String indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      Map<String, Object> sorted = new TreeMap<>();
      m.forEach((k, val) -> sorted.put(String.valueOf(k), val));
      String inner = indent + "  ";
      sb.append("{\n");
      int i = 0;
      for (var e : sorted.entrySet()) {
        sb.append(inner);
        string(e.getKey(), sb);
        sb.append(": ");
        write(e.getValue(), sb, inner);
        sb.append(++i < sorted.size() ? ",\n" : "\n");
      }
      sb.append(indent).append('}');
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        sb.append("[]");
        return;
      }
      String inner = indent + "  ";
      sb.append("[\n");
      for (int i = 0; i < l.size(); i++) {
        sb.append(inner);
        write(l.get(i), sb, inner);
        sb.append(i + 1 < l.size() ? ",\n" : "\n");
      }
      sb.append(indent).append(']');
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else {
      string(String.valueOf(v), sb);
    }
  }

  private static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
