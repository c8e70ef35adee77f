package dev.kiln.spec;

/**
 * One row of the {@link ParameterTable}.
 *
 * @param path the name without {@code kiln.}: {@code hardening.maxAuthTries} is the XML element
 *     {@code <hardening><maxAuthTries>} and the property {@code -Dkiln.hardening.maxAuthTries}
 * @param type how the text is parsed and checked
 * @param defaultValue the value used when the parameter is not set, in the parameter's own syntax
 *     (the table's test parses it); null when the default is computed, as {@code defaultText} says
 * @param defaultText the default as documentation shows it
 * @param doc one line: what the parameter means
 * @param since the Kiln version that introduced it
 */
public record Parameter(
    String path,
    ValueType type,
    String defaultValue,
    String defaultText,
    String doc,
    String since) {

  /** The {@code -D} property: {@code kiln.hardening.maxAuthTries}. */
  public String property() {
    return "kiln." + path;
  }

  /** The XML element path: {@code <hardening><maxAuthTries>}. */
  public String xml() {
    return xml(path);
  }

  /** The element the parameter sits in ({@code hardening}), or null for a top-level one. */
  public String group() {
    int dot = path.indexOf('.');
    return dot < 0 ? null : path.substring(0, dot);
  }

  /** The name inside its element ({@code maxAuthTries}), or the whole path at top level. */
  public String name() {
    return path.substring(path.indexOf('.') + 1);
  }

  /** {@code <hardening><maxAuthTries>} (-Dkiln.hardening.maxAuthTries): how messages name it. */
  public static String both(String path) {
    return xml(path) + " (-Dkiln." + path + ")";
  }

  static String xml(String path) {
    StringBuilder sb = new StringBuilder();
    for (String seg : path.split("\\.")) {
      sb.append('<').append(seg).append('>');
    }
    return sb.toString();
  }
}
