package dev.kiln.spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the render and validate steps need, parsed and validated in one pass from raw
 * parameter values keyed by path ({@code recipes}, {@code hardening.maxAuthTries}, ...).
 */
public record KilnSpec(
    List<Recipe> recipes,
    Hardening hardening,
    Access access,
    WaysIn waysIn,
    Map<String, Map<String, Object>> sshdByRecipe,
    Path templatesDir,
    Path outputDir) {

  /**
   * Parses {@code raw}; relative directories resolve against {@code baseDir}.
   *
   * @throws InvalidParametersException listing every invalid parameter
   */
  public static KilnSpec parse(Map<String, String> raw, Path baseDir) throws KilnException {
    return from(ParameterValues.parse(raw, baseDir));
  }

  /**
   * The spec of validated values: loads the recipes and checks what depends on them (recipe ids,
   * algorithm subsets, cross-parameter rules), reporting every problem at once.
   */
  public static KilnSpec from(ParameterValues v) throws KilnException {
    List<InvalidParametersException.Problem> problems = new ArrayList<>();
    Hardening hardening = Hardening.from(v, problems);
    Access access = Access.from(v);
    WaysIn waysIn = WaysIn.from(v, problems);
    RecipeCatalog catalog = new RecipeCatalog(v.path("recipesDir"));
    List<String> known = catalog.ids();
    List<String> ids = v.isSet("recipes") ? v.strings("recipes") : known;
    List<String> unknown = ids.stream().filter(id -> !known.contains(id)).toList();
    if (!unknown.isEmpty()) {
      problems.add(
          new InvalidParametersException.Problem(
              "recipes",
              String.join(",", ids),
              "recipe ids from "
                  + String.join(", ", known)
                  + "; unknown: "
                  + String.join(", ", unknown)));
    }
    if (!problems.isEmpty()) {
      throw new InvalidParametersException(problems);
    }
    List<Recipe> recipes = catalog.load(ids);
    Map<String, Map<String, Object>> sshd = new LinkedHashMap<>();
    for (Recipe r : recipes) {
      sshd.put(r.id(), SshdAlgorithms.resolve(r, hardening, problems));
      waysIn.checkRecipe(problems, r);
    }
    if (!problems.isEmpty()) {
      throw new InvalidParametersException(problems);
    }
    return new KilnSpec(
        recipes, hardening, access, waysIn, sshd, v.path("templatesDir"), v.path("outputDir"));
  }
}
