package dev.kiln.spec;

/**
 * Values as messages show them: one line whatever the value holds (a newline in a value must not
 * forge an extra {@code [ERROR]} line in the build log), and short.
 */
public final class Escape {
  /** Values longer than this are cut, with their length said. */
  static final int SHOWN = 120;

  private Escape() {}

  /** {@code a\nb} → {@code a\\nb}; control and format characters as {@code \\uXXXX}. */
  public static String value(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    int n = Math.min(s.length(), SHOWN);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\\' -> sb.append("\\\\");
        default -> {
          int type = Character.getType(c);
          if (type == Character.CONTROL
              || type == Character.FORMAT
              || type == Character.LINE_SEPARATOR
              || type == Character.PARAGRAPH_SEPARATOR
              || type == Character.SURROGATE
              || type == Character.UNASSIGNED) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    if (s.length() > SHOWN) {
      sb.append("… (").append(s.length()).append(" characters)");
    }
    return sb.toString();
  }

  /** The escaped value in single quotes. */
  public static String quoted(String s) {
    return "'" + value(s) + "'";
  }
}
