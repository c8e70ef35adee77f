package dev.kiln.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code <access><breakGlass>}, {@code <instanceConnect>} and {@code <sessionManager>}: every
 * hostile CA file and account name is refused with the parameter, the value and the form.
 */
class WaysInTest {
  @TempDir Path base;

  /** A real key made by ssh-keygen (the tool users run); returns the public file's name. */
  static String keygen(Path dir, String name, String... typeArgs) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(List.of("ssh-keygen", "-q", "-N", "", "-C", "ops@example"));
    cmd.addAll(List.of(typeArgs));
    cmd.addAll(List.of("-f", dir.resolve(name).toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return name + ".pub";
  }

  private KilnSpec parse(Map<String, String> extra) throws KilnException {
    Map<String, String> raw = new HashMap<>(Map.of("recipes", "debian-12"));
    raw.putAll(extra);
    return KilnSpec.parse(raw, base);
  }

  private void refused(Map<String, String> raw, String path, String... words) {
    assertThatThrownBy(() -> parse(raw))
        .isInstanceOfSatisfying(
            InvalidParametersException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        pr -> {
                          assertThat(pr.parameter()).isEqualTo(path);
                          assertThat(pr.expected()).contains(words);
                        }));
  }

  @Test
  void offByDefault() throws Exception {
    WaysIn w = parse(Map.of()).waysIn();
    assertThat(w.breakGlass()).isNull();
    assertThat(w.instanceConnect()).isEqualTo("off");
    assertThat(w.sessionManager()).isFalse();
  }

  @Test
  void aCaFileGivesTheDefaultAccountWithSudoAndANormalisedKey() throws Exception {
    String pub = keygen(base, "ca", "-t", "ed25519");
    WaysIn.BreakGlass b = parse(Map.of(WaysIn.CA, pub)).waysIn().breakGlass();
    assertThat(b.user()).isEqualTo("kiln-breakglass");
    assertThat(b.sudo()).isTrue();
    String[] original = Files.readString(base.resolve(pub)).strip().split(" ");
    // the user's comment is dropped, the key is kept byte for byte
    assertThat(b.caKey()).isEqualTo(original[0] + " " + original[1] + " kiln-breakglass-ca");
    Process p = new ProcessBuilder("ssh-keygen", "-l", "-f", base.resolve(pub).toString()).start();
    String fp = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(fp.split(" ")[1]).isEqualTo(b.caFingerprint());
  }

  @Test
  void rsaAndEcdsaCaKeysAreAccepted() throws Exception {
    for (String[] t :
        List.of(
            new String[] {"rsa", "-t", "rsa", "-b", "3072"},
            new String[] {"ec", "-t", "ecdsa", "-b", "384"})) {
      String pub = keygen(base, t[0], java.util.Arrays.copyOfRange(t, 1, t.length));
      assertThat(parse(Map.of(WaysIn.CA, pub)).waysIn().breakGlass().caKey())
          .startsWith(t[0].equals("rsa") ? "ssh-rsa " : "ecdsa-sha2-nistp384 ");
    }
  }

  @Test
  void userAndSudoAreParameters() throws Exception {
    String pub = keygen(base, "ca", "-t", "ed25519");
    WaysIn.BreakGlass b =
        parse(Map.of(WaysIn.CA, pub, WaysIn.USER, "oncall", WaysIn.SUDO, "false"))
            .waysIn()
            .breakGlass();
    assertThat(b.user()).isEqualTo("oncall");
    assertThat(b.sudo()).isFalse();
  }

  @Test
  void hostileCaFilesAreRefused() throws Exception {
    String pub = keygen(base, "ca", "-t", "ed25519");
    String line = Files.readString(base.resolve(pub)).strip();
    String[] f = line.split(" ");
    byte[] blob = Base64.getDecoder().decode(f[1]);
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("two.pub", line + "\n" + line + "\n");
    bad.put("empty.pub", "# nothing\n\n");
    bad.put("options.pub", "cert-authority,principals=\"root\" " + line + "\n");
    bad.put("dsa.pub", "ssh-dss AAAAB3NzaC1kc3MAAACBAP== x\n");
    bad.put("notbase64.pub", "ssh-ed25519 !!!not-base64!!! x\n");
    bad.put(
        "truncated.pub",
        "ssh-ed25519 "
            + Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(blob, blob.length - 5))
            + "\n");
    byte[] longer = java.util.Arrays.copyOf(blob, blob.length + 3);
    bad.put("trailing.pub", "ssh-ed25519 " + Base64.getEncoder().encodeToString(longer) + "\n");
    bad.put("mislabelled.pub", "ssh-rsa " + f[1] + "\n");
    bad.put("private.pub", Files.readString(base.resolve("ca")));
    for (Map.Entry<String, String> e : bad.entrySet()) {
      Files.writeString(base.resolve(e.getKey()), e.getValue());
      refused(Map.of(WaysIn.CA, e.getKey()), WaysIn.CA, "one OpenSSH public key line");
    }
    // a certificate is not a CA key
    keygen(base, "user", "-t", "ed25519");
    Process p =
        new ProcessBuilder(
                "ssh-keygen",
                "-q",
                "-s",
                base.resolve("ca").toString(),
                "-I",
                "x",
                "-n",
                "a",
                base.resolve("user.pub").toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    refused(Map.of(WaysIn.CA, "user-cert.pub"), WaysIn.CA, "is a certificate");
    // a short RSA key
    String rsa = keygen(base, "rsa2048", "-t", "rsa", "-b", "2048");
    refused(Map.of(WaysIn.CA, rsa), WaysIn.CA, "at least 3072");
    // missing file, a directory, a huge file
    refused(Map.of(WaysIn.CA, "missing.pub"), WaysIn.CA, "an existing file");
    refused(Map.of(WaysIn.CA, "."), WaysIn.CA, "an existing file");
    Files.write(base.resolve("huge.pub"), new byte[20000]);
    refused(Map.of(WaysIn.CA, "huge.pub"), WaysIn.CA, "larger than 16 KiB");
  }

  @Test
  void theAccountNameIsCheckedAndCannotBeRootASystemOrLoginUser() throws Exception {
    String pub = keygen(base, "ca", "-t", "ed25519");
    for (String name :
        List.of("root", "daemon", "sshd", "ssm-user", "kiln-keys", "kiln-iam", "ec2-user")) {
      refused(Map.of(WaysIn.CA, pub, WaysIn.USER, name), WaysIn.USER, "not root, a system");
    }
    for (String name : List.of("Root", "a b", "x;rm -rf /", "-o", "a".repeat(33), "é")) {
      refused(Map.of(WaysIn.CA, pub, WaysIn.USER, name), WaysIn.USER, "a Linux user name");
    }
    // the recipe's login user (debian-12: admin) is not the break-glass account either
    refused(Map.of(WaysIn.CA, pub, WaysIn.USER, "admin"), WaysIn.USER, "not root");
    // nor the marker group's name
    refused(
        Map.of(WaysIn.CA, pub, WaysIn.USER, "ops-iam", "access.markerGroup", "ops-iam"),
        WaysIn.USER,
        "is taken");
    refused(Map.of(WaysIn.CA, pub, WaysIn.SUDO, "maybe"), WaysIn.SUDO, "true or false");
  }

  @Test
  void userOrSudoWithoutTheCaIsAMistake() {
    refused(Map.of(WaysIn.USER, "oncall"), WaysIn.USER, "only together with");
    refused(Map.of(WaysIn.SUDO, "false"), WaysIn.SUDO, "only together with");
  }

  @Test
  void instanceConnectIsOffOrChainAndChainNeedsTheRecipesHelper() throws Exception {
    refused(Map.of(WaysIn.INSTANCE_CONNECT, "on"), WaysIn.INSTANCE_CONNECT, "one of off, chain");
    refused(Map.of(WaysIn.INSTANCE_CONNECT, "chain"), WaysIn.INSTANCE_CONNECT, "debian-12");
    assertThat(
            parse(Map.of("recipes", "al2023", WaysIn.INSTANCE_CONNECT, "chain"))
                .waysIn()
                .instanceConnect())
        .isEqualTo("chain");
    refused(Map.of(WaysIn.SESSION_MANAGER, "yes"), WaysIn.SESSION_MANAGER, "true or false");
    assertThat(parse(Map.of(WaysIn.SESSION_MANAGER, "true")).waysIn().sessionManager()).isTrue();
  }
}
