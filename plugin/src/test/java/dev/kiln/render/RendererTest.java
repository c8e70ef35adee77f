package dev.kiln.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RendererTest {
  @TempDir Path base;

  private List<Renderer.Rendered> render(Map<String, String> params) throws KilnException {
    KilnSpec spec = KilnSpec.parse(params, base);
    return new Renderer(spec.templatesDir()).renderAll(spec, "1.2.3");
  }

  @Test
  void writesRootfsPackerAndManifestWithModes() throws Exception {
    render(Map.of("recipes", "debian-12"));
    Path b = base.resolve("target/kiln/debian-12");
    Path dropIn = b.resolve("rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf");
    assertThat(dropIn).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dropIn)))
        .isEqualTo("rw-------");
    assertThat(b.resolve("packer/provision.sh")).exists();
    assertThat(b.resolve("recipe.yaml")).exists();
    @SuppressWarnings("unchecked")
    Map<String, Object> manifest =
        new ObjectMapper().readValue(b.resolve("manifest.json").toFile(), Map.class);
    assertThat((String) manifest.get("bundleDigest")).matches("sha256:[0-9a-f]{64}");
    assertThat((List<Object>) manifest.get("files"))
        .contains(
            Map.of(
                "path", "rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf",
                "mode", "0600",
                "owner", "root",
                "group", "root",
                "sha256", BundleFile.sha256(Files.readAllBytes(dropIn))));
    String json = Files.readString(b.resolve("rootfs/etc/kiln/access.json"));
    assertThat(new ObjectMapper().readValue(json, Map.class).get("markerGroup"))
        .isEqualTo("kiln-iam");
  }

  @Test
  void sameInputsGiveByteIdenticalBundles(@TempDir Path other) throws Exception {
    var first = render(Map.of("recipes", "ubuntu-24.04,rhel-9"));
    KilnSpec spec = KilnSpec.parse(Map.of("recipes", "ubuntu-24.04,rhel-9"), other);
    var second = new Renderer(null).renderAll(spec, "1.2.3");
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i).bundleDigest()).isEqualTo(first.get(i).bundleDigest());
      assertThat(tree(second.get(i).dir())).isEqualTo(tree(first.get(i).dir()));
    }
  }

  @Test
  void digestFollowsInputs() throws Exception {
    String d1 = render(Map.of("recipes", "debian-12")).get(0).bundleDigest();
    String d2 =
        render(Map.of("recipes", "debian-12", "hardening.maxAuthTries", "2")).get(0).bundleDigest();
    assertThat(d2).isNotEqualTo(d1);
  }

  @Test
  void userTemplateOverridesBuiltInByName() throws Exception {
    Path t = Files.createDirectories(base.resolve("tpl/sshd"));
    Files.writeString(t.resolve("00-kiln-hardening.conf.j2"), "# mine for {{ recipe.id }}\n");
    render(Map.of("recipes", "debian-12", "templatesDir", "tpl"));
    assertThat(
            base.resolve(
                "target/kiln/debian-12/rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf"))
        .hasContent("# mine for debian-12");
  }

  @Test
  void unknownVariableOrFilterFailsAndLeavesThePreviousOutputIntact() throws Exception {
    render(Map.of("recipes", "debian-12"));
    Path manifest = base.resolve("target/kiln/debian-12/manifest.json");
    String before = Files.readString(manifest);
    Path t = Files.createDirectories(base.resolve("tpl/sshd"));
    Files.writeString(t.resolve("00-kiln-hardening.conf.j2"), "Port {{ hardening.nope }}\n");
    Map<String, String> p = new HashMap<>(Map.of("recipes", "debian-12", "templatesDir", "tpl"));
    assertThatThrownBy(() -> render(p))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("sshd/00-kiln-hardening.conf.j2");
    Files.writeString(t.resolve("00-kiln-hardening.conf.j2"), "X {{ 'a' | nosuchfilter }}\n");
    assertThatThrownBy(() -> render(p)).isInstanceOf(KilnException.class);
    assertThat(Files.readString(manifest)).isEqualTo(before);
    try (Stream<Path> s = Files.list(base.resolve("target/kiln"))) {
      assertThat(s.map(x -> x.getFileName().toString())).containsExactly("debian-12");
    }
  }

  @Test
  void includeCannotReadOutsideTheTemplates() throws Exception {
    Path t = Files.createDirectories(base.resolve("tpl/sshd"));
    Files.writeString(t.resolve("00-kiln-hardening.conf.j2"), "{% include '/etc/passwd' %}\n");
    assertThatThrownBy(() -> render(Map.of("recipes", "debian-12", "templatesDir", "tpl")))
        .isInstanceOf(KilnException.class);
    assertThat(base.resolve("target/kiln")).doesNotExist();
  }

  private static Map<String, String> tree(Path dir) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(
            dir.relativize(p)
                + " "
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
            BundleFile.sha256(Files.readAllBytes(p)));
      }
    }
    return out;
  }
}
