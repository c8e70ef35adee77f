package dev.kiln.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.KilnSpec;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time to parse parameters and render + write all five recipes in a warm JVM. Run with {@code
 * it/bench/render.sh}; prints figures, asserts nothing about time.
 */
@EnabledIfSystemProperty(named = "kiln.bench", matches = "true")
class RenderBenchmark {
  @Test
  void renderAllRecipesWarm(@TempDir Path base) throws Exception {
    long t0 = System.nanoTime();
    Renderer renderer = new Renderer(null);
    KilnSpec first = KilnSpec.parse(Map.of(), base);
    renderer.renderAll(first, "bench");
    long coldMs = (System.nanoTime() - t0) / 1_000_000;
    for (int i = 0; i < 20; i++) {
      renderer.renderAll(KilnSpec.parse(Map.of(), base), "bench");
    }
    int runs = 50;
    long[] ms = new long[runs];
    for (int i = 0; i < runs; i++) {
      long s = System.nanoTime();
      KilnSpec spec = KilnSpec.parse(Map.of(), base);
      assertThat(renderer.renderAll(spec, "bench")).hasSize(5);
      ms[i] = (System.nanoTime() - s) / 1_000;
    }
    Arrays.sort(ms);
    System.out.printf(
        "render-bench: 5 recipes, parse+render+write: cold (first, incl. jinjava start) %d ms;"
            + " warm p50 %.1f ms, p95 %.1f ms, max %.1f ms over %d runs%n",
        coldMs, ms[runs / 2] / 1000.0, ms[runs * 95 / 100] / 1000.0, ms[runs - 1] / 1000.0, runs);
  }
}
