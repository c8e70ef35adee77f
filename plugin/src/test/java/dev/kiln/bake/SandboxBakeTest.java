package dev.kiln.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.cloud.SandboxCloud;
import dev.kiln.exec.Procs;
import dev.kiln.packer.PackerFailedException;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.Netns;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * End to end in the sandbox cloud (root only; CI runs as root): real rendered debian-12 bundle,
 * real Packer, the emulator, a builder instance on the debootstrap base.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SandboxBakeTest {
  @TempDir static Path tmp;
  static Path out;
  static Path cache;
  static Sandbox sandbox;
  static AwsClients clients;
  static Ec2Client ec2;
  static String firstAmi;
  static final List<String> lines = new CopyOnWriteArrayList<>();
  static final List<String> raw = new CopyOnWriteArrayList<>();
  static final BakeLog log =
      new BakeLog() {
        @Override
        public void info(String l) {
          lines.add(l);
          System.out.println("[bake] " + l);
        }

        @Override
        public void warn(String l) {
          info(l);
        }

        @Override
        public void debug(String l) {
          raw.add(l);
        }
      };

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Procs.isRoot(), "the sandbox cloud needs root");
    out = tmp.resolve("kiln");
    SandboxFixture.render(out, "debian-12,al2023");
    cache = SandboxFixture.cacheDir(tmp);
    RecipeBundle b = RecipeBundle.read(out, "debian-12");
    sandbox =
        Sandbox.open(cache, "us-east-1", SandboxCloud.sources(List.of(b)), System.out::println);
    clients =
        new AwsClients(
            new AwsSettings(
                null,
                "us-east-1",
                sandbox.emulator().hostEndpoint(),
                Emulator.ACCESS_KEY_ID,
                Emulator.SECRET_ACCESS_KEY));
    ec2 = clients.ec2("us-east-1");
  }

  @AfterAll
  static void stop() throws Exception {
    // Packer's raw -machine-readable output of this run, for the parser's fixtures.
    Files.write(Path.of("target/packer-machine-readable.log"), raw);
    if (ec2 != null) {
      ec2.close();
      clients.close();
    }
    if (sandbox != null) {
      String shortId = sandbox.runShort();
      sandbox.close();
      assertThat(Netns.list()).noneMatch(n -> n.startsWith("kiln-" + shortId));
    }
  }

  static BakeRequest request() {
    return BakeRequest.of(out, List.of("debian-12"), "sandbox", "0.1.0-test")
        .withSandboxCacheDir(cache);
  }

  static int instancesEverLaunched() {
    return ec2.describeInstances().reservations().stream()
        .mapToInt(r -> r.instances().size())
        .sum();
  }

  @Test
  @Order(1)
  void bakesAnImageWhoseLayerHoldsTheRenderedFiles() throws Exception {
    BakeResult r = new Bakery(sandbox).bake(request(), log);
    assertThat(r.images()).hasSize(1);
    BakeResult.Image img = r.images().get(0);
    assertThat(img.built()).isTrue();
    assertThat(img.amiId()).startsWith("ami-");
    firstAmi = img.amiId();

    // Tags on the image, the bake key last.
    var image = ec2.describeImages(x -> x.imageIds(firstAmi)).images().get(0);
    Map<String, String> tags = ImageCatalog.tags(image);
    assertThat(tags)
        .containsEntry("kiln:bake-key", img.bakeKey())
        .containsEntry("kiln:recipe", "debian-12")
        .containsEntry("kiln:version", "0.1.0-test")
        .containsEntry("kiln:run-id", r.runId())
        .containsKey("kiln:source-ami");

    // The layer holds every rendered rootfs file with its mode.
    Path layer = sandbox.images().layer(firstAmi);
    Map<String, Object> manifest =
        new Yaml().load(Files.readString(out.resolve("debian-12/manifest.json")));
    int checked = 0;
    for (Object o : (List<?>) manifest.get("files")) {
      Map<?, ?> f = (Map<?, ?>) o;
      String path = f.get("path").toString();
      if (!path.startsWith("rootfs/")) {
        continue;
      }
      Path inLayer = layer.resolve(path.substring("rootfs/".length()));
      assertThat(inLayer).as(path).isRegularFile();
      assertThat(Files.readAllBytes(inLayer))
          .as(path)
          .isEqualTo(Files.readAllBytes(out.resolve("debian-12").resolve(path)));
      String mode = f.get("mode").toString();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(inLayer)))
          .as(path + " mode")
          .isEqualTo(rwx(mode));
      checked++;
    }
    assertThat(checked).isGreaterThan(3);
    // Packer's upload dir and the builder's own sshd files never reach the image.
    assertThat(layer.resolve("tmp/kiln-bundle")).doesNotExist();
    assertThat(layer.resolve("run/kiln")).doesNotExist();

    String bakeJson = Files.readString(out.resolve("bake.json"));
    assertThat(bakeJson).contains(firstAmi).contains("\"built\": true").contains(img.bakeKey());
    assertThat(lines).anyMatch(l -> l.contains("Packer built " + firstAmi));
  }

  @Test
  @Order(2)
  void sameInputsReuseTheImageWithoutRunningInstances() throws Exception {
    int launched = instancesEverLaunched();
    lines.clear();
    long t0 = System.nanoTime();
    BakeResult r = new Bakery(sandbox).bake(request(), log);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(r.images().get(0).built()).isFalse();
    assertThat(r.images().get(0).amiId()).isEqualTo(firstAmi);
    assertThat(r.primaryAmiId()).contains(firstAmi);
    assertThat(lines).anyMatch(l -> l.startsWith("Reusing " + firstAmi + " (bake key sha256:"));
    assertThat(instancesEverLaunched()).isEqualTo(launched);
    assertThat(Files.readString(out.resolve("bake.json"))).contains("\"reused\": true");
    assertThat(ms).isLessThan(2000);
  }

  @Test
  @Order(3)
  void imagesSurviveANewSandboxSession() throws Exception {
    // As a second `mvn package` would: answered from the persisted index, no emulator started.
    lines.clear();
    long t0 = System.nanoTime();
    BakeResult r = new Bakery().bake(request(), log);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2000);
    assertThat(r.images().get(0).built()).isFalse();
    assertThat(r.images().get(0).amiId()).isEqualTo(firstAmi);
    assertThat(lines).anyMatch(l -> l.contains("(sandbox image index)"));
    // And a new emulator restored from the store knows the image by its bake key.
    RecipeBundle b = RecipeBundle.read(out, "debian-12");
    try (Sandbox again =
        Sandbox.open(cache, "us-east-1", SandboxCloud.sources(List.of(b)), System.out::println)) {
      lines.clear();
      BakeResult viaEmulator = new Bakery(again).bake(request(), log);
      assertThat(viaEmulator.images().get(0).built()).isFalse();
      assertThat(viaEmulator.images().get(0).amiId()).isEqualTo(firstAmi);
      assertThat(lines).anyMatch(l -> l.startsWith("Reusing " + firstAmi + " (bake key"));
    }
  }

  @Test
  @Order(4)
  void aChangedTemplateChangesTheKeyAndBakesAgain() throws Exception {
    Path t = out.resolve("debian-12/packer/kiln.pkr.hcl");
    String before = Files.readString(t);
    Files.writeString(t, before + "\n# changed\n");
    try {
      BakeResult r = new Bakery(sandbox).bake(request(), log);
      assertThat(r.images().get(0).built()).isTrue();
      assertThat(r.images().get(0).amiId()).isNotEqualTo(firstAmi);
    } finally {
      Files.writeString(t, before);
    }
  }

  @Test
  @Order(5)
  void aFailingProvisionerFailsWithPackersMessageAndLeavesNothing() throws Exception {
    Path p = out.resolve("debian-12/packer/provision.sh");
    String before = Files.readString(p);
    Files.writeString(p, "#!/bin/bash\necho 'kiln-test: provisioning exploded' >&2\nexit 7\n");
    try {
      assertThatThrownBy(() -> new Bakery(sandbox).bake(request().withForce(true), log))
          .isInstanceOf(PackerFailedException.class)
          .satisfies(
              e ->
                  assertThat(String.join("\n", ((KilnException) e).details()) + e.getMessage())
                      .contains("non-zero exit status: 7"));
    } finally {
      Files.writeString(p, before);
    }
    assertThat(lines).anyMatch(l -> l.contains("kiln-test: provisioning exploded"));
    var live =
        ec2.describeInstances().reservations().stream()
            .flatMap(x -> x.instances().stream())
            .filter(i -> !i.state().nameAsString().equals("terminated"))
            .toList();
    assertThat(live).isEmpty();
    assertThat(ec2.describeSecurityGroups().securityGroups())
        .noneMatch(g -> g.groupName().startsWith("packer_"));
    assertThat(ec2.describeKeyPairs().keyPairs()).isEmpty();
    assertThat(
            ec2.describeImages(x -> x.owners("self")).images().stream()
                .filter(i -> !ImageCatalog.tags(i).containsKey("kiln:bake-key"))
                .toList())
        .isEmpty();
    // no builder namespace left
    assertThat(
            Netns.list().stream().filter(n -> n.startsWith("kiln-" + sandbox.runShort())).toList())
        .containsExactly("kiln-" + sandbox.runShort() + "-ctl");
  }

  @Test
  @Order(6)
  void theSandboxBakesOnlySandboxRecipes() {
    BakeRequest r =
        BakeRequest.of(out, List.of("al2023"), "sandbox", "0.1.0-test").withSandboxCacheDir(cache);
    assertThatThrownBy(() -> new Bakery().bake(r, log))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("kiln.recipes")
        .hasMessageContaining("al2023");
  }

  @Test
  @Order(7)
  void pruneKeepsTheNewestAndDeletesLayers() throws Exception {
    // two debian-12 images exist now (first bake, changed template)
    var dry =
        Pruner.prune(
            new CloudSettings("sandbox", null, null, null, cache),
            List.of("debian-12"),
            1,
            5,
            true,
            System.out::println);
    assertThat(dry)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.kept()).hasSize(1);
              assertThat(p.removed()).containsExactly(firstAmi);
            });
    assertThat(sandbox.images().layer(firstAmi)).isDirectory();
    var real =
        Pruner.prune(
            new CloudSettings("sandbox", null, null, null, cache),
            List.of("debian-12"),
            1,
            5,
            false,
            System.out::println);
    assertThat(real.get(0).removed()).containsExactly(firstAmi);
    assertThat(sandbox.images().layer(firstAmi)).doesNotExist();
    assertThat(sandbox.images().list()).extracting(e -> e.id()).doesNotContain(firstAmi).hasSize(1);
  }

  static String rwx(String octal) {
    int m = Integer.parseInt(octal, 8);
    StringBuilder sb = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((m & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return sb.toString();
  }

  static List<String> nonEmpty(String s) {
    List<String> out = new ArrayList<>();
    s.lines().filter(l -> !l.isBlank()).forEach(out::add);
    return out;
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
