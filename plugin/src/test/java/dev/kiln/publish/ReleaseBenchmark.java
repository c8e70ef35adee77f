package dev.kiln.publish;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.sandbox.ImageStore;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnFailure;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "rebuildable in seconds" figures for a warm sandbox group of 3 (image store, base and group
 * in the user's cache; each goal opens its own emulator as a Maven run would):
 *
 * <ol>
 *   <li>publish → every instance of the group on the new image (publish + rollout);
 *   <li>template change → bake (Packer) → launch + verify + terminate → publish → rollout;
 *   <li>a rollout to an image whose sshd permits root login: time until the group is back.
 * </ol>
 *
 * <p>Run (root): {@code mvn -q -B -o -pl plugin -am test -Dtest=ReleaseBenchmark -Dkiln.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}, with {@code -Dkiln.bench.minHealthy=N
 * -Dkiln.bench.maxHealthy=M} for the rollout's healthy percentages (default 90 and 100: one
 * instance per batch; 100 and 200: the whole group in one batch). Prints a Markdown table and
 * writes it to {@code plugin/target/release-benchmark.md}; figures in docs/benchmarks.md.
 */
@Tag("benchmark")
class ReleaseBenchmark {
  @TempDir Path tmp;

  @Test
  void groupOfThree() throws Exception {
    assumeTrue(Boolean.getBoolean("kiln.bench"), "benchmark: -Dkiln.bench=true");
    ReleaseSandboxTest.assumeSandbox();
    String id = UUID.randomUUID().toString().substring(0, 8);
    String group = "kiln-bench-" + id;
    Map<String, String> raw = new LinkedHashMap<>();
    raw.put("publish.parameter", "/kiln/bench/" + id + "/{recipe}");
    raw.put("publish.launchTemplate", "kiln-bench-" + id);
    raw.put("publish.setDefault", "true");
    raw.put("rollout.group", group);
    raw.put("rollout.size", "3");
    int min = Integer.getInteger("kiln.bench.minHealthy", 90);
    int max = Integer.getInteger("kiln.bench.maxHealthy", 100);
    raw.put("rollout.minHealthyPercentage", Integer.toString(min));
    raw.put("rollout.maxHealthyPercentage", Integer.toString(max));
    String batches = SandboxRollout.batchSize(3, min, max) + " per batch";
    ReleaseSettings s =
        ReleaseSettings.of(ParameterValues.parse(raw, Path.of(".")), "dev.kiln.bench", "release");
    CloudSettings cloud = new CloudSettings("sandbox", null, null, null, ReleaseSandboxTest.CACHE);
    Path out = tmp.resolve("target/kiln");
    Map<String, Long> t = new LinkedHashMap<>();
    try {
      KilnSpec a = KilnSpec.parse(ReleaseSandboxTest.config(out, templates("a-" + id)), tmp);
      ReleaseSandboxTest.bakeAndVerify(a);
      Releases.publish(cloud, s, out, List.of(), System.out::println);
      long t0 = System.nanoTime();
      Releases.rollout(cloud, s, out, List.of(), System.out::println);
      t.put("create the group: 3 instances of release A", ms(t0));

      // release B: a template change forces a new bake
      long c0 = System.nanoTime();
      KilnSpec b = KilnSpec.parse(ReleaseSandboxTest.config(out, templates("b-" + id)), tmp);
      String amiB = ReleaseSandboxTest.bakeAndVerify(b);
      long p0 = System.nanoTime();
      Releases.publish(cloud, s, out, List.of(), System.out::println);
      long r0 = System.nanoTime();
      Releases.rollout(cloud, s, out, List.of(), System.out::println);
      long end = System.nanoTime();
      t.put("publish (new parameter version, label, template version)", (r0 - p0) / 1_000_000);
      t.put("rollout: 3 instances A → B, " + batches, (end - r0) / 1_000_000);
      t.put("**publish → whole group on B** (target ≤ 30 s)", (end - p0) / 1_000_000);
      t.put("render + bake (Packer) + launch + verify + terminate of B", (p0 - c0) / 1_000_000);
      t.put(
          "**change → bake → verify → publish → rollout** (target ≤ 90 s)", (end - c0) / 1_000_000);

      String bad = ReleaseSandboxTest.brokenCopyOf(amiB);
      SandboxGroup g = SandboxGroup.load(ReleaseSandboxTest.CACHE, group, "us-east-1");
      long f0 = System.nanoTime();
      SandboxRollout.Result r =
          SandboxRollout.roll(
              g, bad, 3, min, max, java.time.Duration.ofSeconds(120), System.out::println);
      t.put("**failed rollout to a broken image → group back on B**", ms(f0));
      new ImageStore(ReleaseSandboxTest.CACHE).remove(List.of(bad));
      if (r.failure() == null) {
        throw new KilnFailure("the broken image was not detected", List.of());
      }
    } finally {
      Releases.terminateGroup(cloud, group, System.out::println);
      new SandboxRecord(ReleaseSandboxTest.CACHE)
          .forget("/kiln/bench/" + id + "/debian-12", "kiln-bench-" + id);
    }
    StringBuilder md =
        new StringBuilder(
            "minHealthyPercentage "
                + min
                + ", maxHealthyPercentage "
                + max
                + "\n\n| step | ms |\n|---|---:|\n");
    t.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    md.append(
        String.format(
            Locale.ROOT,
            "\nload average at the end: %.2f (%d CPUs)%n",
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
            Runtime.getRuntime().availableProcessors()));
    System.out.println(md);
    Files.writeString(Path.of("target/release-benchmark.md"), md, StandardCharsets.UTF_8);
  }

  /** A templates dir whose sshd template differs by a comment: a new bundle, a new bake key. */
  private Path templates(String release) throws Exception {
    Path dir = tmp.resolve("templates-" + release);
    Files.createDirectories(dir.resolve("sshd"));
    try (InputStream in =
        getClass()
            .getClassLoader()
            .getResourceAsStream("kiln/templates/sshd/00-kiln-hardening.conf.j2")) {
      Files.writeString(
          dir.resolve("sshd/00-kiln-hardening.conf.j2"),
          new String(in.readAllBytes(), StandardCharsets.UTF_8) + "\n# release " + release + "\n");
    }
    return dir;
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
