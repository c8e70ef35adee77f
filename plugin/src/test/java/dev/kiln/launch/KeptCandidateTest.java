package dev.kiln.launch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.aws.ImagePrune;
import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.Bakery;
import dev.kiln.bake.Pruner;
import dev.kiln.cloud.Candidate;
import dev.kiln.cloud.CandidateRecords;
import dev.kiln.exec.Procs;
import dev.kiln.probe.SandboxPipelineTest;
import dev.kiln.render.Renderer;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateSandbox;
import dev.kiln.sandbox.Files2;
import dev.kiln.sandbox.ImageStore;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnSpec;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kept sandbox candidate against a careful operator (issue 9): {@code kiln:prune
 * -Dkiln.prune.keep=0} while it runs must keep its image (the key command sshd runs at every login
 * stays in its {@code /usr/libexec/kiln}); {@code kiln:terminate} after {@code mvn clean} removes
 * it from the record under the cache directory; {@code -Dkiln.terminate.all} lists and removes
 * another project's. Runs in a cache of its own (the bases linked from the user's), so the prune
 * cannot touch other tests' images.
 */
class KeptCandidateTest {
  @TempDir Path tmp;

  @Test
  void pruneKeepsTheImageOfAKeptCandidateAndTerminateFindsItAfterMvnClean() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    Path cache = tmp.resolve("cache");
    Files.createDirectories(cache);
    Path bases = cache.resolve("base");
    Files.createSymbolicLink(bases, SandboxSettings.defaultCacheDir().resolve("base"));
    CandidateRecords copies = new CandidateRecords(cache);
    try {
      Path project1 = tmp.resolve("p1");
      Path out1 = project1.resolve("target/kiln");
      KilnSpec spec = KilnSpec.parse(SandboxPipelineTest.config(out1, null), project1);
      new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
      String ami =
          new Bakery()
              .bake(
                  BakeRequest.of(out1, List.of("debian-12"), "sandbox", "0.1.0-test")
                      .withSandboxCacheDir(cache),
                  BakeLog.of(l -> System.out.println("[bake] " + l)))
              .primaryAmiId()
              .orElseThrow();
      new Launcher().launch(kept(out1, ami, cache), System.out::println);
      Candidate c1 = Candidate.read(out1.resolve(Launcher.RECORD)).orElseThrow();
      assertThat(c1.keep()).isTrue();
      assertThat(Path.of(c1.cacheRecord())).isRegularFile().startsWith(cache);

      // the attack: prune everything prunable while the candidate runs
      List<String> lines = new CopyOnWriteArrayList<>();
      List<ImagePrune.Pruned> pruned =
          Pruner.prune(
              new CloudSettings("sandbox", null, null, null, cache),
              List.of(),
              0,
              0,
              false,
              l -> {
                System.out.println("[prune] " + l);
                lines.add(l);
              });
      assertThat(pruned).flatExtracting(ImagePrune.Pruned::removed).doesNotContain(ami);
      assertThat(lines)
          .anyMatch(
              l ->
                  l.startsWith("Keeping " + ami)
                      && l.contains("in use by candidate " + c1.instanceId())
                      && l.contains("kept"));
      assertThat(new ImageStore(cache).layer(ami)).isDirectory();
      Procs.Result inside =
          CandidateSandbox.exec(
              c1.sandbox(),
              "test -x /usr/libexec/kiln/authorized-keys && echo key-command-present",
              Duration.ofSeconds(20));
      assertThat(inside.output()).contains("key-command-present");

      // a second project's kept candidate
      Path project2 = tmp.resolve("p2");
      Path out2 = project2.resolve("target/kiln");
      new Launcher().launch(kept(out2, ami, cache), System.out::println);
      Candidate c2 = Candidate.read(out2.resolve(Launcher.RECORD)).orElseThrow();

      // mvn clean in project 1, then kiln:terminate there: only its candidate goes
      Files2.deleteTree(project1.resolve("target"));
      List<String> removed = Termination.terminate(out1, copies, System.out::println);
      assertThat(removed)
          .anyMatch(r -> r.startsWith("namespace "))
          .anyMatch(r -> r.startsWith("listener 127.0.0.1:" + c1.port()));
      assertThat(CandidateCleanup.leftovers(c1.sandbox())).isEmpty();
      assertThat(answers(c1.port())).isFalse();
      assertThat(Path.of(c1.cacheRecord())).doesNotExist();
      assertThat(CandidateCleanup.leftovers(c2.sandbox())).isNotEmpty();
      assertThat(Termination.terminate(out1, copies, System.out::println)).isEmpty();

      // kiln:terminate -Dkiln.terminate.all, from anywhere: lists and removes project 2's
      List<String> all = new ArrayList<>();
      List<String> removedAll =
          Termination.terminateAll(
              copies,
              l -> {
                System.out.println(l);
                all.add(l);
              });
      assertThat(all).anyMatch(l -> l.contains(c2.instanceId()) && l.contains(out2.toString()));
      assertThat(removedAll).anyMatch(r -> r.startsWith("namespace "));
      assertThat(CandidateCleanup.leftovers(c2.sandbox())).isEmpty();
      assertThat(answers(c2.port())).isFalse();
      assertThat(Candidate.read(out2.resolve(Launcher.RECORD)).orElseThrow().isTerminated())
          .isTrue();
      assertThat(copies.live()).isEmpty();
    } finally {
      Termination.terminateAll(copies, System.out::println);
      Files.deleteIfExists(bases);
    }
  }

  private static LaunchRequest kept(Path out, String ami, Path cache) {
    return new LaunchRequest(
        out,
        "sandbox",
        ami,
        List.of(),
        false,
        Duration.ofSeconds(90),
        true,
        null,
        22,
        null,
        null,
        null,
        null,
        null,
        null,
        cache);
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
