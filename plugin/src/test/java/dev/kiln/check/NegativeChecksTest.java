package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each check catches what it exists for: every test fails if its check is removed. */
class NegativeChecksTest {
  @TempDir Path dir;
  KilnSpec spec;
  CheckInput debian;

  @BeforeEach
  void render() throws Exception {
    spec = Bundles.render(dir, Map.of("recipes", "debian-12"));
    debian = Bundles.input(spec, "debian-12");
  }

  private static List<String> checks(List<Finding> findings) {
    return findings.stream().map(Finding::check).toList();
  }

  @Test
  void dropInReadBeforeKilnsWithPermitRootLoginYesIsAFinding() {
    CheckInput in =
        new CheckInput(
            debian.bundleDir(),
            debian.recipe(),
            debian.hardening(),
            debian.sshd(),
            debian.access(),
            Map.of("00-aaa.conf", "PermitRootLogin yes\n"));
    List<Finding> findings = new SshdCheck(new Tools()).run(in);
    assertThat(findings)
        .anySatisfy(
            f -> {
              assertThat(f.check()).isEqualTo("sshd.permitrootlogin");
              assertThat(f.control()).isEqualTo(2);
              assertThat(f.message()).contains("'yes'").contains("expected 'no'");
              assertThat(f.evidence()).contains("00-aaa.conf");
            });
  }

  @Test
  void anAlignScriptThatLeavesTheStockFilesAloneIsAFileViewFinding() throws Exception {
    Path align = debian.bundleDir().resolve("packer/sshd-align.sh");
    String text = Files.readString(align);
    try {
      Files.writeString(align, "#!/usr/bin/env bash\nexit 0\n");
      List<Finding> findings = new SshdCheck(new Tools()).run(debian);
      assertThat(findings)
          .anySatisfy(
              f -> {
                assertThat(f.check()).isEqualTo("sshd.fileview");
                assertThat(f.control()).isEqualTo(37);
                assertThat(f.message())
                    .isEqualTo(
                        "file view and effective view differ: sshd_config does not state"
                            + " permitrootlogin; 00-kiln-hardening.conf says 'no'");
              });
    } finally {
      Files.writeString(align, text);
    }
  }

  @Test
  void weakCipherInTheRenderedDropInIsAFinding() throws Exception {
    Path dropIn = debian.bundleDir().resolve("rootfs/etc/ssh/sshd_config.d/00-kiln-hardening.conf");
    String text = Files.readString(dropIn);
    Files.writeString(
        dropIn, text.replaceFirst("(?m)^Ciphers .*$", "Ciphers aes128-cbc,aes256-ctr"));
    List<Finding> findings = new SshdCheck(new Tools()).run(debian);
    assertThat(findings)
        .anySatisfy(
            f -> {
              assertThat(f.check()).isEqualTo("sshd.ciphers");
              assertThat(f.control()).isEqualTo(10);
              assertThat(f.message()).contains("aes128-cbc");
            });
  }

  @Test
  void hostileDropInsAreReadAndLoseToKilns() {
    // The hostile drop-ins would win if Kiln's drop-ins were missing: prove they are really read.
    CheckInput in =
        new CheckInput(
            debian.bundleDir(),
            debian.recipe(),
            debian.hardening(),
            debian.sshd(),
            debian.access(),
            Map.of("00-kiln-hardening.conf", "# emptied\n", "00-kiln-slot.conf", "# emptied\n"));
    List<String> found = checks(new SshdCheck(new Tools()).run(in));
    assertThat(found)
        .contains(
            "sshd.passwordauthentication",
            "sshd.permitrootlogin",
            "sshd.ciphers",
            "sshd.authorizedkeyscommand",
            "sshd.allowgroups");
  }

  @Test
  void algorithmTheLocalSshdDoesNotKnowIsAFindingNotACrash() {
    Map<String, Object> sshd = new java.util.LinkedHashMap<>(debian.sshd());
    sshd.put("kex", List.of("mlkem999x25519-sha256", "curve25519-sha256"));
    CheckInput in =
        new CheckInput(
            debian.bundleDir(), debian.recipe(), debian.hardening(), sshd, debian.access());
    List<Finding> findings = new SshdCheck(new Tools()).run(in);
    assertThat(findings)
        .anySatisfy(
            f -> {
              assertThat(f.check()).isEqualTo("sshd.kex");
              assertThat(f.message()).contains("does not know [mlkem999x25519-sha256]");
            });
  }

  @Test
  void badFail2banBackendIsAFinding() throws Exception {
    Path jail = debian.bundleDir().resolve("rootfs/etc/fail2ban/jail.d/00-kiln.local");
    Files.writeString(
        jail, Files.readString(jail).replace("backend = systemd", "backend = sytemd"));
    List<Finding> findings =
        new Fail2banCheck(new Tools(), Fail2banCheck.SYSTEM_CONFIG).run(debian);
    assertThat(findings).isNotEmpty();
    assertThat(findings).allSatisfy(f -> assertThat(f.check()).startsWith("fail2ban"));
  }

  @Test
  void nonNumericMaxretryThatFail2banTestLetsThroughIsAFinding() throws Exception {
    Path jail = debian.bundleDir().resolve("rootfs/etc/fail2ban/jail.d/00-kiln.local");
    Files.writeString(jail, Files.readString(jail).replace("maxretry = 3", "maxretry = 30"));
    List<Finding> findings =
        new Fail2banCheck(new Tools(), Fail2banCheck.SYSTEM_CONFIG).run(debian);
    assertThat(findings)
        .anySatisfy(
            f -> {
              assertThat(f.check()).isEqualTo("fail2ban.sshd");
              assertThat(f.message()).contains("maxretry is '30', expected '3'");
            });
  }

  @Test
  void shellScriptWithASyntaxErrorIsAFinding() throws Exception {
    Path script = debian.bundleDir().resolve("packer/provision.sh");
    Files.writeString(script, Files.readString(script) + "\nif true; then\n  echo unterminated\n");
    List<Finding> findings = new ScriptCheck(new Tools()).run(debian);
    assertThat(findings)
        .anySatisfy(
            f -> {
              assertThat(f.check()).isEqualTo("scripts.bash");
              assertThat(f.message()).contains("packer/provision.sh");
            });
  }

  @Test
  void pythonProgramWithASyntaxErrorIsAFinding() throws Exception {
    Path program = debian.bundleDir().resolve("rootfs/usr/libexec/kiln/lock-root");
    Files.writeString(program, Files.readString(program) + "\ndef broken(:\n");
    assertThat(new ScriptCheck(new Tools()).run(debian))
        .anySatisfy(f -> assertThat(f.check()).isEqualTo("scripts.python"));
  }

  @Test
  void weakModuliThresholdIsAFinding() throws Exception {
    Path script = debian.bundleDir().resolve("packer/provision.sh");
    Files.writeString(script, Files.readString(script).replace("$5 >= 3071", "$5 >= 2047"));
    assertThat(new ModuliCheck().run(debian))
        .singleElement()
        .satisfies(f -> assertThat(f.control()).isEqualTo(13));
  }

  @Test
  void missingToolsAreFindingsWithHowToInstall() {
    Path nowhere = dir.resolve("no-such-tool");
    Tools none =
        new Tools(
            Map.of(
                "sshd", nowhere,
                "ssh-keygen", nowhere,
                "fail2ban-client", nowhere,
                "bash", nowhere,
                "shellcheck", nowhere,
                "packer", nowhere));
    List<Finding> findings = new BundleChecker(none, Fail2banCheck.SYSTEM_CONFIG).check(debian);
    assertThat(findings.stream().map(Finding::message))
        .anySatisfy(m -> assertThat(m).contains("apt-get install openssh-server"))
        .anySatisfy(m -> assertThat(m).contains("apt-get install fail2ban"))
        .anySatisfy(m -> assertThat(m).contains("apt-get install packer"))
        .anySatisfy(m -> assertThat(m).contains("apt-get install bash"))
        .anySatisfy(m -> assertThat(m).startsWith("note: shellcheck is not installed"));
  }

  @Test
  void missingPackerTemplateIsAFinding() throws Exception {
    Files.delete(debian.bundleDir().resolve("packer/kiln.pkr.hcl"));
    assertThat(new PackerCheck(new Tools()).run(debian))
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("packer/kiln.pkr.hcl is missing"));
  }

  @Test
  void packerTemplateErrorIsAFinding() throws Exception {
    Path t = debian.bundleDir().resolve("packer/kiln.pkr.hcl");
    Files.writeString(t, Files.readString(t) + "\nsource \"amazon-ebs\" \"broken\" {\n");
    assertThat(new PackerCheck(new Tools()).run(debian))
        .singleElement()
        .satisfies(f -> assertThat(f.message()).contains("packer validate rejects"));
  }
}
