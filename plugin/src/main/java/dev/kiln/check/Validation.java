package dev.kiln.check;

import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The engine entry point of {@code kiln:validate}: every recipe's bundle, every check. */
public final class Validation {
  /** What validation found: recipes that passed, notes, and failing findings. */
  public record Outcome(List<String> passed, List<Finding> notes, List<Finding> failing) {}

  private final BundleChecker checker;

  public Validation(BundleChecker checker) {
    this.checker = checker;
  }

  /** Checks the bundles of {@code spec}'s recipes; never stops at the first finding. */
  public Outcome run(KilnSpec spec) {
    List<String> passed = new ArrayList<>();
    List<Finding> notes = new ArrayList<>();
    List<Finding> failing = new ArrayList<>();
    for (Recipe recipe : spec.recipes()) {
      Path bundle = spec.outputDir().resolve(recipe.id());
      if (!Files.isDirectory(bundle)) {
        failing.add(
            new Finding(
                recipe.id(),
                "bundle",
                0,
                "no rendered bundle at " + bundle + "; run kiln:render first (generate-resources)",
                ""));
        continue;
      }
      Map<String, Object> recipeData;
      try {
        recipeData = BundleChecker.readRecipe(bundle);
      } catch (IOException e) {
        failing.add(new Finding(recipe.id(), "bundle", 0, e.getMessage(), ""));
        continue;
      }
      List<Finding> findings =
          checker.check(
              new CheckInput(
                  bundle,
                  recipeData,
                  spec.hardening().toTemplateMap(),
                  spec.sshdByRecipe().get(recipe.id()),
                  spec.access().toMap()));
      findings.stream().filter(f -> !BundleChecker.failing(f)).forEach(notes::add);
      List<Finding> bad = findings.stream().filter(BundleChecker::failing).toList();
      failing.addAll(bad);
      if (bad.isEmpty()) {
        passed.add(recipe.id());
      }
    }
    return new Outcome(passed, notes, failing);
  }

  /** Throws every failing finding as one error. */
  public static void requireClean(Outcome outcome) throws KilnException {
    if (!outcome.failing().isEmpty()) {
      throw new KilnFailure(
          "kiln:validate found " + outcome.failing().size() + " problem(s):",
          outcome.failing().stream().map(Finding::describe).toList());
    }
  }
}
