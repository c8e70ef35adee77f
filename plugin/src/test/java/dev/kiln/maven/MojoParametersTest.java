package dev.kiln.maven;

import static dev.kiln.maven.Goals.goal;
import static dev.kiln.maven.Goals.props;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How goals read parameters: the XML nesting mirrors the -D name, and -D wins everywhere. */
class MojoParametersTest {
  @TempDir Path base;

  private String sshd(String recipe) throws Exception {
    return Files.readString(
        base.resolve(
            "target/kiln/" + recipe + "/rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf"));
  }

  @Test
  void dWinsOverThePomForTopLevelAndNestedParameters() throws Exception {
    goal(
            RenderMojo.class,
            base,
            Map.of("recipes", "al2023", "hardening.maxAuthTries", "2", "outputDir", "pom-out"),
            props(
                "kiln.recipes",
                "debian-12",
                "kiln.hardening.maxAuthTries",
                "4",
                "kiln.outputDir",
                "target/kiln"))
        .execute();
    assertThat(base.resolve("target/kiln/debian-12")).isDirectory();
    assertThat(base.resolve("target/kiln/al2023")).doesNotExist();
    assertThat(base.resolve("pom-out")).doesNotExist();
    assertThat(sshd("debian-12")).contains("MaxAuthTries 4");
  }

  @Test
  void pomValuesNestAsTheirPropertyNames() throws Exception {
    goal(
            RenderMojo.class,
            base,
            Map.of(
                "recipes", "debian-12",
                "hardening.maxAuthTries", "5",
                "launch.keep", "true",
                "prune.keep", "7",
                "bake.force", "TRUE",
                "ami.id", "ami-0123456789abcdef0"),
            props())
        .execute();
    // <launch><keep> is a boolean and <prune><keep> a count: one name, one type each.
    assertThat(sshd("debian-12")).contains("MaxAuthTries 5");
  }

  @Test
  void unknownElementsAndPropertiesAreRefusedByName() throws Exception {
    assertThatThrownBy(
            () ->
                goal(RenderMojo.class, base, Map.of("hardening.maxAuthTrie", "3"), props())
                    .execute())
        .isInstanceOf(MojoExecutionException.class)
        .hasMessageContaining("<hardening><maxAuthTrie> (-Dkiln.hardening.maxAuthTrie) is not a")
        .hasMessageContaining("maxAuthTries");
    // A typo of prune.dryRun must not silently delete for real.
    assertThatThrownBy(
            () ->
                goal(PruneMojo.class, base, Map.of(), props("kiln.prune.dryrun", "true")).execute())
        .hasMessageContaining("(-Dkiln.prune.dryrun) is not a Kiln parameter");
    assertThat(base.resolve("target")).doesNotExist();
  }

  @Test
  void yesIsNotABoolean() {
    assertThatThrownBy(
            () ->
                goal(PruneMojo.class, base, Map.of(), props("kiln.prune.dryRun", "yes")).execute())
        .hasMessage(
            "Invalid parameter: <prune><dryRun> (-Dkiln.prune.dryRun) is 'yes', expected true or"
                + " false (any case)");
  }

  @Test
  void nestedElementsInsteadOfTextAreAnError() throws Exception {
    AbstractKilnMojo mojo = goal(RenderMojo.class, base, Map.of(), props());
    mojo.hardening = Map.of("trustedCidrs", Map.of("cidr", "10.0.0.0/8"));
    assertThatThrownBy(mojo::execute)
        .hasMessageContaining(
            "<hardening><trustedCidrs> (-Dkiln.hardening.trustedCidrs) is 'nested");
    assertThat(base.resolve("target")).doesNotExist();
  }

  @Test
  void skipIsStrictAndSkipsEverythingElse() throws Exception {
    goal(RenderMojo.class, base, Map.of("hardening.port", "x"), props("kiln.render.skip", "TRUE"))
        .execute();
    assertThat(base.resolve("target")).doesNotExist();
    assertThatThrownBy(
            () -> goal(RenderMojo.class, base, Map.of(), props("kiln.skip", "on")).execute())
        .hasMessageContaining("<skip> (-Dkiln.skip) is 'on'");
    assertThat(base.resolve("target")).doesNotExist();
  }

  @Test
  void bannerTextIsRenderedToIssueNet() throws Exception {
    goal(RenderMojo.class, base, Map.of("recipes", "debian-12"), props()).execute();
    assertThat(base.resolve("target/kiln/debian-12/rootfs/etc/issue.net")).doesNotExist();
    assertThat(sshd("debian-12")).contains("Banner none");
    goal(
            RenderMojo.class,
            base,
            Map.of("recipes", "debian-12", "hardening.bannerText", "Authorized use only.\nLogged."),
            props())
        .execute();
    assertThat(base.resolve("target/kiln/debian-12/rootfs/etc/issue.net"))
        .hasContent("Authorized use only.\nLogged.");
    assertThat(sshd("debian-12")).contains("Banner /etc/issue.net");
    assertThatThrownBy(
            () ->
                goal(
                        RenderMojo.class,
                        base,
                        Map.of(
                            "recipes", "debian-12",
                            "hardening.bannerText", "Hi",
                            "hardening.banner", "/etc/issue"),
                        props())
                    .execute())
        .hasMessageContaining("<hardening><banner> (-Dkiln.hardening.banner) is '/etc/issue'");
  }

  @Test
  void breakGlassIsReadFromItsNestedElementAndMinusDWins() throws Exception {
    Process p =
        new ProcessBuilder(
                "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", base.resolve("ca").toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    AbstractKilnMojo mojo = goal(RenderMojo.class, base, Map.of("recipes", "debian-12"), props());
    // <access><breakGlass><caPublicKey>ca.pub</caPublicKey><user>oncall</user></breakGlass></access>
    mojo.access = Map.of("breakGlass", Map.of("caPublicKey", "ca.pub", "user", "oncall"));
    mojo.execute();
    Path bundle = base.resolve("target/kiln/debian-12/rootfs");
    assertThat(java.nio.file.Files.readString(bundle.resolve("etc/ssh/kiln-breakglass/principals")))
        .isEqualTo("oncall\n");
    // -D wins over the nested element; a bad value names the nested path both ways
    AbstractKilnMojo bad =
        goal(
            RenderMojo.class,
            base,
            Map.of("recipes", "debian-12"),
            props("kiln.access.breakGlass.user", "root"));
    bad.access = Map.of("breakGlass", Map.of("caPublicKey", "ca.pub", "user", "oncall"));
    assertThatThrownBy(bad::execute)
        .hasMessageContaining(
            "<access><breakGlass><user> (-Dkiln.access.breakGlass.user) is 'root', expected a Linux"
                + " user name");
  }
}
