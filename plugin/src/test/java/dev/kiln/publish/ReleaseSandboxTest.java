package dev.kiln.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.Bakery;
import dev.kiln.bake.Pruner;
import dev.kiln.exec.Procs;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.probe.Verifier;
import dev.kiln.render.Json;
import dev.kiln.render.Renderer;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.ImageStore;
import dev.kiln.sandbox.Netns;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release chain in the sandbox cloud, as root, across what would be separate Maven runs (each
 * goal opens its own emulator, so parameters, templates and the group come back from the cache):
 * bake → verify → publish → rollout of a group of 2 → template change → new bake → verify → publish
 * → rollout → rollback, asserting the parameter's versions and label, the launch template's
 * versions and default, each instance's image at each step, and that prune keeps the published
 * images. Then a rollout to an image with a broken sshd configuration stops and leaves the group on
 * its old image.
 */
class ReleaseSandboxTest {
  @TempDir Path tmp;

  static final Path CACHE = SandboxSettings.defaultCacheDir();
  static final BakeLog LOG = BakeLog.of(l -> System.out.println("[bake] " + l));

  static void assumeSandbox() {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    assumeTrue(
        Procs.which(
                "moto_server", List.of(Path.of(System.getProperty("user.home"), ".pyenv", "shims")))
            != null,
        "moto_server not installed");
    assumeTrue(Procs.which("packer", List.of()) != null, "packer not installed");
  }

  static Map<String, String> config(Path out, Path templatesDir) {
    Map<String, String> raw = new LinkedHashMap<>();
    raw.put("recipes", "debian-12");
    raw.put("outputDir", out.toString());
    raw.put("access.iamGroups", "ssh-users,ssh-admins");
    raw.put("access.sudoGroups", "ssh-admins");
    raw.put("access.keyCacheTtl", "5s");
    raw.put("hardening.trustedCidrs", "10.0.0.0/8");
    if (templatesDir != null) {
      raw.put("templatesDir", templatesDir.toString());
    }
    return raw;
  }

  /** render + bake + launch + verify + terminate; returns the verified image. */
  static String bakeAndVerify(KilnSpec spec) throws Exception {
    new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
    String ami =
        new Bakery()
            .bake(
                BakeRequest.of(spec.outputDir(), List.of("debian-12"), "sandbox", "0.1.0-test")
                    .withSandboxCacheDir(CACHE),
                LOG)
            .primaryAmiId()
            .orElseThrow();
    new Launcher().launch(LaunchRequest.sandbox(spec.outputDir(), ami, CACHE), System.out::println);
    try {
      Verifier.verify(spec.outputDir(), spec, System.out::println);
    } finally {
      Launcher.terminate(spec.outputDir(), System.out::println);
    }
    return ami;
  }

  static ReleaseSettings settings(String param, String template, String group) throws Exception {
    Map<String, String> raw = new LinkedHashMap<>();
    raw.put("publish.parameter", param);
    raw.put("publish.launchTemplate", template);
    raw.put("publish.setDefault", "true");
    raw.put("rollout.group", group);
    raw.put("rollout.size", "2");
    return ReleaseSettings.of(ParameterValues.parse(raw, Path.of(".")), "dev.kiln.test", "release");
  }

  static List<String> images(String group) throws Exception {
    return SandboxGroup.load(CACHE, group, "us-east-1").members().stream()
        .map(SandboxGroup.Member::amiId)
        .toList();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> recorded(String name, String kind) throws Exception {
    return (Map<String, Object>)
        ((Map<String, Object>) new SandboxRecord(CACHE).read().get(kind)).get(name);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> versions(String param) throws Exception {
    return (List<Map<String, Object>>)
        (Object)
            new SandboxRecord(CACHE)
                .read().entrySet().stream()
                    .filter(e -> e.getKey().equals("parameters"))
                    .map(e -> ((Map<String, Object>) e.getValue()).get(param))
                    .findFirst()
                    .orElseThrow();
  }

  @Test
  void bakeVerifyPublishRolloutChangeRolloutRollbackAndPruneKeepsPublished() throws Exception {
    assumeSandbox();
    String id = UUID.randomUUID().toString().substring(0, 8);
    String param = "/kiln/test/" + id + "/{recipe}";
    String name = "/kiln/test/" + id + "/debian-12";
    String template = "kiln-test-" + id;
    String group = "kiln-test-" + id;
    CloudSettings cloud = new CloudSettings("sandbox", null, null, null, CACHE);
    ReleaseSettings s = settings(param, template, group);
    Path out = tmp.resolve("target/kiln");
    List<Long> rolloutMillis = new ArrayList<>();
    try {
      // release 1
      KilnSpec spec1 = KilnSpec.parse(config(out, null), tmp);
      String ami1 = bakeAndVerify(spec1);
      List<Publisher.Published> p1 =
          Releases.publish(cloud, s, out, List.of(), System.out::println);
      assertThat(p1)
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.amiId()).isEqualTo(ami1);
                assertThat(p.parameter()).isEqualTo(name);
                assertThat(p.version()).isEqualTo(1);
                assertThat(p.launchTemplateVersion()).isEqualTo(1L);
              });
      assertThat(versions(name))
          .extracting(v -> v.get("value") + " " + v.get("labels"))
          .containsExactly(ami1 + " [latest]");
      assertThat(Json.readMap(out.resolve(Releases.PUBLISH_JSON)).orElseThrow())
          .containsEntry("cloud", "sandbox");

      long t0 = System.nanoTime();
      Releases.rollout(cloud, s, out, List.of(), System.out::println);
      rolloutMillis.add((System.nanoTime() - t0) / 1_000_000);
      assertThat(images(group)).containsExactly(ami1, ami1);
      List<String> firstIds =
          SandboxGroup.load(CACHE, group, "us-east-1").members().stream()
              .map(SandboxGroup.Member::instanceId)
              .toList();

      // release 2: a template change forces a new bake
      Path templates = tmp.resolve("templates");
      Files.createDirectories(templates.resolve("sshd"));
      String stock;
      try (InputStream in =
          getClass()
              .getClassLoader()
              .getResourceAsStream("kiln/templates/sshd/00-kiln-hardening.conf.j2")) {
        stock = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      Files.writeString(
          templates.resolve("sshd/00-kiln-hardening.conf.j2"), stock + "\n# release " + id + "\n");
      KilnSpec spec2 = KilnSpec.parse(config(out, templates), tmp);
      String ami2 = bakeAndVerify(spec2);
      assertThat(ami2).isNotEqualTo(ami1);
      Releases.publish(cloud, s, out, List.of(), System.out::println);
      assertThat(versions(name))
          .extracting(v -> v.get("value") + " " + v.get("labels"))
          .containsExactly(ami1 + " []", ami2 + " [latest]");
      assertThat(recorded(template, "templates")).containsEntry("defaultVersion", 2);

      t0 = System.nanoTime();
      Map<String, Object> r2 = Releases.rollout(cloud, s, out, List.of(), System.out::println);
      rolloutMillis.add((System.nanoTime() - t0) / 1_000_000);
      assertThat(images(group)).containsExactly(ami2, ami2);
      assertThat(r2.get("instances"))
          .asList()
          .extracting(
              o -> ((Map<?, ?>) o).get("imageBefore") + "→" + ((Map<?, ?>) o).get("imageAfter"))
          .containsExactly(ami1 + "→" + ami2, ami1 + "→" + ami2);
      assertThat(
              SandboxGroup.load(CACHE, group, "us-east-1").members().stream()
                  .map(SandboxGroup.Member::instanceId))
          .doesNotContainAnyElementsOf(firstIds);

      // prune (dry run: other tests share the cache) keeps both published images
      List<Prune.Kept> kept = Prune.protectedImages(cloud, 5, System.out::println);
      assertThat(kept).anyMatch(k -> k.amiId().equals(ami1) && k.rule().contains("keepPublished"));
      assertThat(kept).anyMatch(k -> k.amiId().equals(ami2) && k.rule().contains("label latest"));
      assertThat(kept).anyMatch(k -> k.amiId().equals(ami2) && k.rule().contains("group " + group));
      assertThat(kept)
          .anyMatch(
              k -> k.amiId().equals(ami1) && k.rule().contains("launch template " + template));
      var pruned = Pruner.prune(cloud, List.of("debian-12"), 0, 5, true, System.out::println);
      assertThat(pruned.get(0).removed()).doesNotContain(ami1, ami2);
      assertThat(pruned.get(0).inUse()).contains(ami1, ami2);

      // rollback: label, template default and group back on release 1
      t0 = System.nanoTime();
      Publisher.RolledBack rb = Releases.rollback(cloud, s, out, List.of(), System.out::println);
      rolloutMillis.add((System.nanoTime() - t0) / 1_000_000);
      assertThat(rb.toAmi()).isEqualTo(ami1);
      assertThat(rb.fromVersion()).isEqualTo(2);
      assertThat(rb.toVersion()).isEqualTo(1);
      assertThat(versions(name))
          .extracting(v -> v.get("value") + " " + v.get("labels"))
          .containsExactly(ami1 + " [latest]", ami2 + " []");
      assertThat(recorded(template, "templates")).containsEntry("defaultVersion", 1);
      assertThat(images(group)).containsExactly(ami1, ami1);

      // a broken image: the rollout stops and the group stays on release 1
      String bad = brokenCopyOf(ami2);
      SandboxGroup g = SandboxGroup.load(CACHE, group, "us-east-1");
      t0 = System.nanoTime();
      SandboxRollout.Result failed =
          SandboxRollout.roll(g, bad, 2, 50, 100, Duration.ofSeconds(120), System.out::println);
      rolloutMillis.add((System.nanoTime() - t0) / 1_000_000);
      assertThat(failed.failure()).contains("permitrootlogin is 'yes'");
      assertThat(images(group)).containsExactly(ami1, ami1);
      new ImageStore(CACHE).remove(List.of(bad));
      System.out.println("[bench] rollout/rollback millis: " + rolloutMillis);
    } finally {
      List<SandboxGroup.Member> members = SandboxGroup.load(CACHE, group, "us-east-1").members();
      Releases.terminateGroup(cloud, group, System.out::println);
      new SandboxRecord(CACHE).forget(name, template);
      for (SandboxGroup.Member m : members) {
        assertThat(CandidateCleanup.leftovers(m.sandbox())).isEmpty();
      }
      assertThat(Netns.list())
          .noneMatch(n -> members.stream().anyMatch(m -> n.contains(m.sandbox().shortId)));
    }
  }

  /** A copy of {@code ami}'s image with a drop-in that permits root login: boots, is unhealthy. */
  static String brokenCopyOf(String ami) throws Exception {
    ImageStore store = new ImageStore(CACHE);
    ImageStore.Entry e = store.get(ami).orElseThrow();
    String id = "ami-" + UUID.randomUUID().toString().replace("-", "").substring(0, 17);
    Path upper = store.dir().resolve(".tmp-" + id);
    Procs.check(
        List.of("cp", "-a", store.layer(ami).toString(), upper.toString()),
        Duration.ofSeconds(120));
    Path dropIn = upper.resolve("etc/ssh/sshd_config.d/00-aaa-broken.conf");
    Files.createDirectories(dropIn.getParent());
    Files.writeString(dropIn, "PermitRootLogin yes\n");
    store.add(
        new ImageStore.Entry(
            id,
            e.name() + "-broken",
            e.region(),
            e.architecture(),
            e.sourceAmi(),
            e.base(),
            Map.of()),
        upper);
    return id;
  }

  @Test
  void publishRefusesAnImageWithoutVerification() throws Exception {
    assertThatThrownBy(
            () -> VerifiedMark.require(tmp.resolve("report"), "ami-0123456789abcdef0", Map.of()))
        .hasMessageContaining("has not passed kiln:verify");
  }
}
