package dev.kiln.bake;

import dev.kiln.render.Renderer;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Test helpers: a rendered bundle and a test cache dir sharing the user's cached base. */
final class SandboxFixture {
  private SandboxFixture() {}

  /** Renders the real bundles of {@code recipes} into {@code out}. */
  static void render(Path out, String recipes) throws Exception {
    KilnSpec spec = KilnSpec.parse(Map.of("recipes", recipes, "outputDir", out.toString()), out);
    new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
  }

  /**
   * A fresh cache dir whose {@code base/} is the user's (the debootstrap base is built once); its
   * image store is the test's own.
   */
  static Path cacheDir(Path tmp) throws IOException {
    Path userBase = SandboxSettings.defaultCacheDir().resolve("base");
    Files.createDirectories(userBase);
    Path cache = tmp.resolve("cache");
    Files.createDirectories(cache);
    Files.createSymbolicLink(cache.resolve("base"), userBase);
    return cache;
  }
}
