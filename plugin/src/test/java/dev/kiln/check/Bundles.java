package dev.kiln.check;

import dev.kiln.render.Renderer;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Renders real bundles with Kiln's renderer, for the checks to read. */
final class Bundles {
  private Bundles() {}

  /** Renders every built-in recipe under {@code dir} with {@code params} (path → raw value). */
  static KilnSpec render(Path dir, Map<String, String> params) throws KilnException {
    Map<String, String> raw = new LinkedHashMap<>(params);
    raw.put("outputDir", dir.resolve("kiln").toString());
    KilnSpec spec = KilnSpec.parse(raw, dir);
    new Renderer(null).renderAll(spec, "test");
    return spec;
  }

  /** The check input for one rendered recipe of {@code spec}. */
  static CheckInput input(KilnSpec spec, String recipe) throws IOException {
    Path bundle = spec.outputDir().resolve(recipe);
    return new CheckInput(
        bundle,
        BundleChecker.readRecipe(bundle),
        spec.hardening().toTemplateMap(),
        spec.sshdByRecipe().get(recipe),
        spec.access().toMap());
  }
}
