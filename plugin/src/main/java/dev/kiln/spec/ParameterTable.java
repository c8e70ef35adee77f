package dev.kiln.spec;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Every parameter of every Kiln goal, once: its path (which is both the XML nesting and the {@code
 * -D} property), its type with bounds or pattern, its default, one line of meaning and {@code
 * @since}. Reading (POM and {@code -D}, where {@code -D} wins), validating in one pass, error
 * messages, {@code kiln:help -Ddetail} (checked by ParameterDocsTest), the README's table
 * (checked by the same test) and the fuzz test (ParameterFuzzTest) all come from this list.
 *
 * <p>The rows live in the package-private {@code ParameterRows*} classes, one block per element in
 * the table's order: the top level and {@code <hardening>} in ParameterRowsImage; {@code <access>}
 * and its ways in in ParameterRowsAccess; {@code <aws>}, {@code <sandbox>}, {@code <packer>},
 * {@code <bake>}, {@code <ami>}, {@code <launch>}, {@code <verify>}, {@code <terminate>} and {@code
 * <prune>} in ParameterRowsBuild; {@code <publish>} and {@code <rollout>} in ParameterRowsRelease.
 * Their shared helpers ({@code p}, {@code auto}, {@code since}, the common value types) are in
 * ParameterRows.
 *
 * <p>To add a parameter: add one {@code p(...)} line in its element's block there (a new element
 * also needs a {@code Map<String, String>} field of that name in {@code
 * dev.kiln.maven.KilnParameters}); read it in the engine with {@link ParameterValues}; then run
 * {@code ./mvnw -pl plugin test -Dtest=ParameterDocsTest -Dkiln.docs.update=true} to regenerate the
 * README table and print the javadoc the help needs. The fuzz test covers it without changes.
 */
public final class ParameterTable {
  private ParameterTable() {}

  private static final List<Parameter> ALL =
      Stream.of(
              new ParameterRowsImage(),
              new ParameterRowsAccess(),
              new ParameterRowsBuild(),
              new ParameterRowsRelease())
          .flatMap(rows -> rows.rows().stream())
          .toList();

  /** Every parameter, in the table's order. */
  public static List<Parameter> all() {
    return List.copyOf(ALL);
  }

  /** Parameters by path. */
  public static Map<String, Parameter> byPath() {
    Map<String, Parameter> m = new LinkedHashMap<>();
    ALL.forEach(p -> m.put(p.path(), p));
    return m;
  }

  /** The elements that hold nested parameters ({@code hardening}, {@code access}, ...). */
  public static Set<String> groups() {
    Set<String> s = new LinkedHashSet<>();
    ALL.stream().map(Parameter::group).filter(g -> g != null).forEach(s::add);
    return s;
  }
}
