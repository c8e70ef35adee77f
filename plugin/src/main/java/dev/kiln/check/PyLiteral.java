package dev.kiln.check;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses the Python literals {@code fail2ban-client -d} prints, one command per line: lists of
 * strings, integers, floats, True/False/None. Strings become {@link String}, numbers their text,
 * booleans {@link Boolean}, None null, lists {@link List}.
 */
final class PyLiteral {
  private final String s;
  private int i;

  private PyLiteral(String s) {
    this.s = s;
  }

  /** The parsed value, or throws {@link IllegalArgumentException} naming the position. */
  static Object parse(String text) {
    PyLiteral p = new PyLiteral(text.strip());
    Object v = p.value();
    p.ws();
    if (p.i != p.s.length()) {
      throw new IllegalArgumentException("unexpected text at " + p.i + ": " + text);
    }
    return v;
  }

  private void ws() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private Object value() {
    ws();
    if (i >= s.length()) {
      throw new IllegalArgumentException("unexpected end of " + s);
    }
    char c = s.charAt(i);
    if (c == '[' || c == '(') {
      char close = c == '[' ? ']' : ')';
      i++;
      List<Object> out = new ArrayList<>();
      ws();
      if (i < s.length() && s.charAt(i) == close) {
        i++;
        return out;
      }
      while (true) {
        out.add(value());
        ws();
        if (i >= s.length()) {
          throw new IllegalArgumentException("unclosed list in " + s);
        }
        char d = s.charAt(i++);
        if (d == close) {
          return out;
        }
        if (d != ',') {
          throw new IllegalArgumentException("expected , at " + (i - 1) + " in " + s);
        }
        ws();
        if (i < s.length() && s.charAt(i) == close) {
          i++;
          return out;
        }
      }
    }
    if (c == '\'' || c == '"') {
      return string(c);
    }
    int start = i;
    while (i < s.length()
        && ",])".indexOf(s.charAt(i)) < 0
        && !Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    String word = s.substring(start, i);
    return switch (word) {
      case "True" -> Boolean.TRUE;
      case "False" -> Boolean.FALSE;
      case "None" -> null;
      default -> {
        if (!word.matches("-?[0-9]+(\\.[0-9]+)?")) {
          throw new IllegalArgumentException("unexpected '" + word + "' in " + s);
        }
        yield word;
      }
    };
  }

  private String string(char quote) {
    i++;
    StringBuilder b = new StringBuilder();
    while (i < s.length()) {
      char c = s.charAt(i++);
      if (c == quote) {
        return b.toString();
      }
      if (c == '\\' && i < s.length()) {
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case '\\' -> b.append('\\');
          case '\'' -> b.append('\'');
          case '"' -> b.append('"');
          default -> b.append('\\').append(e);
        }
      } else {
        b.append(c);
      }
    }
    throw new IllegalArgumentException("unterminated string in " + s);
  }
}
