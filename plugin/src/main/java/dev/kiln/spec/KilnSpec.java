package dev.kiln.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Everything the render and validate steps need, parsed and validated in one pass from raw
 * parameter values keyed by path ({@code recipes}, {@code hardening.maxAuthTries}, ...).
 */
public record KilnSpec(
    List<Recipe> recipes,
    Hardening hardening,
    Access access,
    Map<String, Map<String, Object>> sshdByRecipe,
    Path templatesDir,
    Path outputDir) {

  private static final Pattern RECIPE_LIST = Pattern.compile("[a-z0-9.,\\s-]+");

  /**
   * Parses {@code raw}; relative directories resolve against {@code baseDir}.
   *
   * @throws InvalidParametersException listing every invalid parameter
   */
  public static KilnSpec parse(Map<String, String> raw, Path baseDir) throws KilnException {
    Params p = new Params(raw);
    Path templatesDir = dir(p, "templatesDir", baseDir);
    Path recipesDir = dir(p, "recipesDir", baseDir);
    Path outputDir = baseDir.resolve(p.string("outputDir", "target/kiln")).normalize();
    Hardening hardening = Hardening.from(p);
    Access access = Access.from(p);
    String list = p.matching("recipes", null, RECIPE_LIST, "a comma-separated list of recipe ids");
    p.throwIfInvalid();

    RecipeCatalog catalog = new RecipeCatalog(recipesDir);
    List<String> ids =
        list == null
            ? catalog.ids()
            : List.of(list.split("\\s*,\\s*")).stream()
                .filter(s -> !s.isBlank())
                .distinct()
                .toList();
    if (ids.isEmpty()) {
      throw KilnException.badParameter(
          "recipes", list, "at least one recipe id from " + catalog.ids());
    }
    List<Recipe> recipes = catalog.load(ids);
    Map<String, Map<String, Object>> sshd = new LinkedHashMap<>();
    for (Recipe r : recipes) {
      sshd.put(r.id(), SshdAlgorithms.resolve(r, hardening, p));
    }
    p.throwIfInvalid();
    return new KilnSpec(recipes, hardening, access, sshd, templatesDir, outputDir);
  }

  private static Path dir(Params p, String path, Path baseDir) {
    String v = p.raw(path);
    if (v == null) {
      return null;
    }
    Path d = baseDir.resolve(v).normalize();
    if (!Files.isDirectory(d)) {
      p.problem(path, v, "an existing directory");
      return null;
    }
    return d;
  }
}
