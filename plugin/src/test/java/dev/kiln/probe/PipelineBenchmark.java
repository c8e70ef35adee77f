package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.Bakery;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.render.Renderer;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole sandbox pipeline per step, cold then warm: render, bake, launch, verify, terminate.
 *
 * <ul>
 *   <li>cold: first run in a fresh JVM with an empty image store (the debootstrap base is cached:
 *       building it once costs ≈35 s, see docs/benchmarks-bake.md), so bake runs Packer;
 *   <li>warm: the same steps again in the same JVM; bake reuses the image by its bake key.
 * </ul>
 *
 * <p>Run (root): {@code mvn -q -B -o -pl plugin -am test -Dtest=PipelineBenchmark -Dkiln.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}. Prints a Markdown table and writes it to {@code
 * plugin/target/pipeline-benchmark.md}; figures in docs/benchmarks-pipeline.md.
 */
@Tag("benchmark")
class PipelineBenchmark {
  @TempDir Path tmp;

  @Test
  void pipelineColdAndWarm() throws Exception {
    assumeTrue(Boolean.getBoolean("kiln.bench"), "benchmark: -Dkiln.bench=true");
    SandboxPipelineTest.assumeSandbox();
    Path cache = tmp.resolve("cache");
    Files.createDirectories(cache);
    Path userBase = SandboxSettings.defaultCacheDir().resolve("base");
    Files.createDirectories(userBase);
    Files.createSymbolicLink(cache.resolve("base"), userBase);

    List<Map<String, Long>> runs = new ArrayList<>();
    Map<String, Long> controls = new LinkedHashMap<>();
    int n = Integer.getInteger("kiln.bench.warmRuns", 2);
    for (int i = 0; i <= n; i++) {
      runs.add(once(tmp.resolve("p" + i), cache, i == n ? controls : null));
    }
    StringBuilder md = new StringBuilder();
    md.append("| step | cold (s) |");
    for (int i = 1; i <= n; i++) {
      md.append(" warm ").append(i).append(" (s) |");
    }
    md.append("\n|---|---|").append("---|".repeat(n)).append('\n');
    for (String step : runs.get(0).keySet()) {
      md.append("| ").append(step).append(" |");
      for (Map<String, Long> r : runs) {
        md.append(' ')
            .append(String.format(Locale.ROOT, "%.2f", r.get(step) / 1000.0))
            .append(" |");
      }
      md.append('\n');
    }
    md.append("\nControls of the last warm verify (s):\n\n| control | s |\n|---|---|\n");
    controls.forEach(
        (k, v) ->
            md.append("| ")
                .append(k)
                .append(" | ")
                .append(String.format(Locale.ROOT, "%.2f", v / 1000.0))
                .append(" |\n"));
    System.out.println(md);
    Path report = Path.of("target/pipeline-benchmark.md");
    Files.writeString(report, md.toString());
  }

  private Map<String, Long> once(Path project, Path cache, Map<String, Long> controls)
      throws Exception {
    Map<String, Long> t = new LinkedHashMap<>();
    Path out = project.resolve("target/kiln");
    long all = System.nanoTime();
    long t0 = System.nanoTime();
    KilnSpec spec = KilnSpec.parse(SandboxPipelineTest.config(out, null), project);
    new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-bench");
    t.put("render", ms(t0));
    t0 = System.nanoTime();
    new Bakery()
        .bake(
            BakeRequest.of(out, List.of("debian-12"), "sandbox", "0.1.0-bench")
                .withSandboxCacheDir(cache),
            BakeLog.of(s -> {}));
    t.put("bake", ms(t0));
    t0 = System.nanoTime();
    new Launcher()
        .launch(LaunchRequest.sandbox(out, null, cache), s -> System.out.println("[launch] " + s));
    t.put("launch", ms(t0));
    t0 = System.nanoTime();
    Verifier.Result r;
    try {
      r = Verifier.verify(out, spec, s -> {});
      t.put("verify", ms(t0));
    } finally {
      long t1 = System.nanoTime();
      Launcher.terminate(out, s -> {});
      t.put("terminate", ms(t1));
    }
    t.put("total", ms(all));
    // A control that fails (a probe cut short) would make a run look faster than it is.
    assertThat(r.controls())
        .filteredOn(c -> c.outcome() == Control.Outcome.FAIL)
        .extracting(c -> c.id() + ": " + c.observed())
        .isEmpty();
    if (controls != null) {
      r.controls().forEach(c -> controls.put(c.id(), c.millis()));
    }
    return t;
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
