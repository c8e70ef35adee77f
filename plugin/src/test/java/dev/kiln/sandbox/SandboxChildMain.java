package dev.kiln.sandbox;

import dev.kiln.render.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A separate JVM for {@link NothingLeftBehindTest}, run under {@code unshare -m} so that the
 * namespaces' {@code /run/netns} mounts it makes are visible to no other process:
 *
 * <ul>
 *   <li>{@code launch CACHE AMI STATEFILE}: launches a candidate, writing its state after every
 *       step, prints LAUNCHED and exits (a kept candidate);
 *   <li>{@code terminate STATEFILE}: terminates it, one "removed" line each;
 *   <li>{@code session CACHE}: opens a bake session, starts a builder and a tracked stand-in for
 *       Packer in the control namespace, prints READY and waits to be killed.
 * </ul>
 */
public final class SandboxChildMain {
  private SandboxChildMain() {}

  public static void main(String[] a) throws Exception {
    switch (a[0]) {
      case "launch" -> {
        Path stateFile = Path.of(a[3]);
        CandidateSandbox.launch(
            Path.of(a[1]),
            a[2],
            "eu-west-1",
            "kiln-test",
            Duration.ofSeconds(60),
            s -> write(stateFile, s),
            System.out::println);
        System.out.println("LAUNCHED");
      }
      case "terminate" -> {
        CandidateState m = Json.parse(Files.readString(Path.of(a[1])), CandidateState.class);
        for (String r : CandidateCleanup.terminate(m)) {
          System.out.println("removed " + r);
        }
      }
      case "session" -> {
        Sandbox s = Sandbox.open(Path.of(a[1]), "eu-west-1", List.of(), System.out::println);
        BaseRootfs base = BaseRootfsTest.forRecipe("debian-12");
        base.ensure(System.out::println);
        SandboxBuilder.start(s, base, List.of(), List.of(), "b1");
        // as Packer's prefix does (Sandbox#track), waiting until it is on record
        s.ledger()
            .start(
                "packer-standin",
                s.control().exec(List.of("sleep", "600")),
                s.runDir().resolve("packer.log"),
                Map.of());
        System.out.println("RUN " + s.runShort() + " " + s.runDir());
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(600_000);
      }
      case "bake" -> {
        // a real bake of the debian-12 bundle whose provisioning is a no-op: what matters here is
        // what happens around "Packer built", not the hardening
        Path out = Path.of(a[1]);
        dev.kiln.spec.KilnSpec spec =
            dev.kiln.spec.KilnSpec.parse(
                Map.of("recipes", "debian-12", "outputDir", out.toString()), out);
        new dev.kiln.render.Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
        Files.writeString(
            out.resolve("debian-12/packer/provision.sh"),
            "#!/bin/sh\necho kiln-test: provisioning skipped\n");
        dev.kiln.bake.BakeResult r =
            new dev.kiln.bake.Bakery()
                .bake(
                    dev.kiln.bake.BakeRequest.of(out, List.of("debian-12"), "sandbox", "0.1.0-test")
                        .withSandboxCacheDir(Path.of(a[2]))
                        .withForce(true),
                    dev.kiln.bake.BakeLog.of(System.out::println));
        System.out.println("BAKED " + r.primaryAmiId().orElseThrow());
      }
      default -> throw new IllegalArgumentException(a[0]);
    }
    System.out.flush();
    System.exit(0);
  }

  private static void write(Path f, CandidateState s) {
    try {
      Json.writeFile(f, s);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
