package dev.kiln.bake;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.cloud.SandboxCloud;
import dev.kiln.exec.Procs;
import dev.kiln.sandbox.BaseRootfs;
import dev.kiln.sandbox.Sandbox;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fresh bake vs reuse in the sandbox, side by side in one run, plus cold (debootstrap) and warm
 * sandbox start. Run: {@code mvn -B -o -Denforcer.skip=true -pl plugin -am test
 * -Dtest=BakeBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.bench=true} (root). Figures
 * in docs/benchmarks-bake.md.
 */
@Tag("benchmark")
class BakeBenchmark {
  @TempDir Path tmp;

  @Test
  void freshBakeVersusReuse() throws Exception {
    assumeTrue(Boolean.getBoolean("kiln.bench"), "benchmark: -Dkiln.bench=true");
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    Path out = tmp.resolve("kiln");
    SandboxFixture.render(out, "debian-12");
    RecipeBundle b = RecipeBundle.read(out, "debian-12");

    // Cold: a fresh cache dir, the base built by debootstrap.
    Path coldCache = tmp.resolve("cold-cache");
    long t0 = System.nanoTime();
    new BaseRootfs(coldCache, "debian-12", "bookworm", b.loginUser(), b.packages()).ensure(s -> {});
    Sandbox cold = Sandbox.open(coldCache, "us-east-1", SandboxCloud.sources(List.of(b)), s -> {});
    double coldS = secs(t0);
    cold.close();

    // Warm: base cached, emulator + control namespace only.
    Path cache = SandboxFixture.cacheDir(tmp);
    t0 = System.nanoTime();
    Sandbox warm = Sandbox.open(cache, "us-east-1", SandboxCloud.sources(List.of(b)), s -> {});
    double warmS = secs(t0);
    BakeRequest req =
        BakeRequest.of(out, List.of("debian-12"), "sandbox", "0.1.0-bench")
            .withSandboxCacheDir(cache);
    BakeLog quiet = BakeLog.of(s -> {});
    try {
      new Bakery(warm).bake(req, quiet); // warm up JIT and clients once
      int n = 3;
      double fresh = 0;
      double reuse = 0;
      for (int i = 0; i < n; i++) {
        t0 = System.nanoTime();
        new Bakery(warm).bake(req.withForce(true), quiet);
        fresh += secs(t0);
        t0 = System.nanoTime();
        new Bakery(warm).bake(req, quiet);
        reuse += secs(t0);
      }
      fresh /= n;
      reuse /= n;
      // A whole reuse goal as a second `mvn package` would run it: own sandbox session.
      t0 = System.nanoTime();
      new Bakery().bake(req, quiet);
      double reuseGoal = secs(t0);
      System.out.printf(
          "%nBAKE BENCHMARK (sandbox, debian-12, mean of %d)%n"
              + "  fresh bake (Packer, builder, layer store) : %6.3f s%n"
              + "  reuse (bake key hit, open sandbox)        : %6.3f s%n"
              + "  ratio fresh/reuse                         : %6.1f x%n"
              + "  reuse as a whole goal (own sandbox start) : %6.3f s%n"
              + "  cold sandbox start (debootstrap + start)  : %6.3f s%n"
              + "  warm sandbox start (emulator + netns)     : %6.3f s%n",
          n, fresh, reuse, fresh / reuse, reuseGoal, coldS, warmS);
    } finally {
      warm.close();
    }
  }

  static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
