package dev.kiln.check;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the checks of one bundle need.
 *
 * @param bundleDir the rendered bundle, {@code target/kiln/<recipe>/}
 * @param recipe the recipe (the bundle's {@code recipe.yaml})
 * @param hardening the resolved hardening (the template's {@code hardening} map)
 * @param sshd the resolved algorithm lists (the template's {@code sshd} map)
 * @param access the resolved access parameters (the template's {@code access} map)
 * @param extraSshdDropIns more drop-ins (file name → content) to read with the bundle's and the
 *     hostile ones; tests use it to show that a drop-in read before Kiln's is caught
 */
public record CheckInput(
    Path bundleDir,
    Map<String, Object> recipe,
    Map<String, Object> hardening,
    Map<String, Object> sshd,
    Map<String, Object> access,
    Map<String, String> extraSshdDropIns) {

  public CheckInput {
    extraSshdDropIns = Map.copyOf(extraSshdDropIns);
  }

  public CheckInput(
      Path bundleDir,
      Map<String, Object> recipe,
      Map<String, Object> hardening,
      Map<String, Object> sshd,
      Map<String, Object> access) {
    this(bundleDir, recipe, hardening, sshd, access, Map.of());
  }

  /** The recipe's id, or the bundle directory's name when the recipe has none. */
  public String recipeId() {
    Object id = recipe.get("id");
    return id == null ? String.valueOf(bundleDir.getFileName()) : id.toString();
  }

  /** The value at a dotted path ({@code sshd.configDir}) in {@code map}, or null. */
  static Object at(Map<String, Object> map, String path) {
    Object cur = map;
    for (String part : path.split("\\.")) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(part);
    }
    return cur;
  }

  public static String string(Map<String, Object> map, String path) {
    Object v = at(map, path);
    return v == null ? null : v.toString();
  }

  static List<String> strings(Map<String, Object> map, String path) {
    Object v = at(map, path);
    if (v instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
