package dev.kiln.spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every parameter of the {@link ParameterTable}, parsed and validated in one pass before any work:
 * either all values are good, or {@link InvalidParametersException} lists every bad one. An empty
 * or blank value is an error for every parameter (leave a parameter out to get its default); the
 * text is stripped of surrounding whitespace, as Maven does for XML.
 */
public final class ParameterValues {
  private final Map<String, Object> values;
  private final Set<String> set;

  private ParameterValues(Map<String, Object> values, Set<String> set) {
    this.values = values;
    this.set = set;
  }

  /**
   * Parses {@code raw} (paths without {@code kiln.}: {@code hardening.maxAuthTries}); relative
   * paths resolve against {@code base}. A path the table does not know is an error.
   */
  public static ParameterValues parse(Map<String, String> raw, Path base)
      throws InvalidParametersException {
    Map<String, Parameter> table = ParameterTable.byPath();
    List<InvalidParametersException.Problem> problems = new ArrayList<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      if (!table.containsKey(e.getKey())) {
        problems.add(
            InvalidParametersException.Problem.unknown(
                e.getKey(), e.getValue(), known(e.getKey())));
      }
    }
    Map<String, Object> values = new HashMap<>();
    Set<String> set = new HashSet<>();
    for (Parameter p : table.values()) {
      String text = raw.get(p.path());
      if (text == null) {
        if (p.defaultValue() != null) {
          values.put(p.path(), parseDefault(p, base));
        }
        continue;
      }
      String v = text.strip();
      try {
        if (v.isEmpty()) {
          throw new ValueType.Invalid(
              "an empty value is an error; leave the parameter out for its default ("
                  + p.defaultText()
                  + ")");
        }
        values.put(p.path(), p.type().parse(v, base));
        set.add(p.path());
      } catch (ValueType.Invalid why) {
        String form = p.type().form();
        problems.add(
            new InvalidParametersException.Problem(
                p.path(),
                text,
                why.getMessage() == null ? form : form + " (" + why.getMessage() + ")"));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidParametersException(problems);
    }
    return new ParameterValues(values, set);
  }

  private static Object parseDefault(Parameter p, Path base) {
    try {
      return p.type().parse(p.defaultValue(), base);
    } catch (ValueType.Invalid e) {
      throw new IllegalStateException("the table's default of " + p.path() + " is invalid", e);
    }
  }

  /** What the user could have meant: the parameters of the same element. */
  private static String known(String path) {
    int dot = path.indexOf('.');
    String group = dot < 0 ? null : path.substring(0, dot);
    List<String> names = new ArrayList<>();
    for (Parameter p : ParameterTable.all()) {
      if (group == null ? p.group() == null : group.equals(p.group())) {
        names.add(p.name());
      }
    }
    return names.isEmpty()
        ? "no such element; elements: " + String.join(", ", ParameterTable.groups())
        : (group == null ? "top-level parameters: " : "<" + group + "> holds: ")
            + String.join(", ", names);
  }

  /** Whether the user set the parameter (POM or {@code -D}). */
  public boolean isSet(String path) {
    check(path);
    return set.contains(path);
  }

  /** The typed value, or null when the parameter is unset and its default is computed. */
  public Object get(String path) {
    check(path);
    return values.get(path);
  }

  public boolean bool(String path) {
    return Boolean.TRUE.equals(get(path));
  }

  public int integer(String path) {
    return Math.toIntExact((Long) get(path));
  }

  /** A duration in seconds. */
  public long seconds(String path) {
    return (Long) get(path);
  }

  public String string(String path) {
    Object v = get(path);
    return v == null ? null : v.toString();
  }

  public Path path(String path) {
    return (Path) get(path);
  }

  /** A list parameter's elements as strings; empty when unset without default. */
  public List<String> strings(String path) {
    Object v = get(path);
    return v == null ? List.of() : ((List<?>) v).stream().map(String::valueOf).toList();
  }

  /** A list of numbers ({@code access.uidRange}). */
  public List<Long> longs(String path) {
    Object v = get(path);
    return v == null ? List.of() : ((List<?>) v).stream().map(o -> (Long) o).toList();
  }

  private static void check(String path) {
    if (!ParameterTable.byPath().containsKey(path)) {
      throw new IllegalArgumentException("no parameter " + path + " in the table");
    }
  }
}
