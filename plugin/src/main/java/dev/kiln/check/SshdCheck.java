package dev.kiln.check;

import dev.kiln.exec.Procs;
import dev.kiln.exec.SshKeygen;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Controls 1–12 and 14–27 of hardening.md on the EFFECTIVE configuration: the recipe's stock
 * sshd_config and stock drop-ins, the bundle's drop-ins and hostile drop-ins (cloud-init's {@code
 * PasswordAuthentication yes}, another image's weak ciphers and key command) are read by the local
 * sshd ({@code sshd -t}, then {@code sshd -T -C …}) in a temporary directory, and every value sshd
 * would use is compared with what the hardening parameters ask for ({@link SshdExpectations}).
 * Algorithms the local OpenSSH does not know are sorted out first ({@link SshdAlgorithms}).
 */
final class SshdCheck {
  static final String CHECK = "sshd";
  static final String CONNECTION = "user=kilnprobe,host=probe.example,addr=192.0.2.10";

  /** hardening.md control: every file states what sshd -T shows (scanner-proof files). */
  static final int FILE_VIEW_CONTROL = 37;

  /** Drop-ins that a base image or its first boot could add, each trying to undo a control. */
  static final Map<String, String> HOSTILE_DROP_INS =
      Map.of(
          "50-cloud-init.conf",
          "PasswordAuthentication yes\nPermitRootLogin yes\n",
          "60-other.conf",
          "Ciphers aes128-cbc,3des-cbc,aes256-ctr\nMACs hmac-sha1,hmac-md5\n"
              + "KexAlgorithms diffie-hellman-group1-sha1,ecdh-sha2-nistp256\n"
              + "AuthorizedKeysCommand /bin/other %u\nAuthorizedKeysCommandUser root\n"
              + "PermitUserEnvironment yes\nX11Forwarding yes\nMaxAuthTries 10\n");

  private final Tools tools;

  SshdCheck(Tools tools) {
    this.tools = tools;
  }

  List<Finding> run(CheckInput in) {
    String recipe = in.recipeId();
    List<Finding> findings = new ArrayList<>();
    Optional<Path> sshd = tools.find("sshd");
    Optional<Path> keygen = tools.find("ssh-keygen");
    if (sshd.isEmpty()) {
      findings.add(Tools.missing(recipe, CHECK, 1, "sshd", "the effective sshd configuration"));
    }
    if (keygen.isEmpty()) {
      findings.add(
          Tools.missing(recipe, CHECK, 1, "ssh-keygen", "the effective sshd configuration"));
    }
    if (!findings.isEmpty()) {
      return findings;
    }
    String configDir = CheckInput.string(in.recipe(), "sshd.configDir");
    String stock = CheckInput.string(in.recipe(), "sshd.stockConfig");
    if (configDir == null || stock == null) {
      findings.add(
          new Finding(
              recipe,
              CHECK,
              1,
              "recipe.yaml lacks sshd.configDir or sshd.stockConfig; expected the drop-in directory"
                  + " and the stock sshd_config text",
              "bundle " + in.bundleDir()));
      return findings;
    }
    Path renderedDir = in.bundleDir().resolve("rootfs" + configDir);
    List<Path> rendered = new ArrayList<>();
    try (var s = Files.list(renderedDir)) {
      s.filter(p -> fileName(p).endsWith(".conf")).sorted().forEach(rendered::add);
    } catch (IOException e) {
      // reported below
    }
    if (rendered.isEmpty()) {
      findings.add(
          new Finding(
              recipe,
              CHECK,
              1,
              "the bundle has no sshd drop-in; expected rootfs"
                  + configDir
                  + "/00-kiln-hardening.conf",
              "looked in " + renderedDir));
      return findings;
    }
    Set<String> newer = new LinkedHashSet<>();
    findings.addAll(new SshdAlgorithms(tools).unknownAlgorithms(in, newer));
    if (!newer.isEmpty()) {
      in = SshdAlgorithms.withoutAlgorithms(in, newer);
    }

    Path tmp = null;
    PrivsepDir privsep = null;
    try {
      tmp = Files.createTempDirectory("kiln-sshd-check");
      Path dropIns = Files.createDirectory(tmp.resolve("sshd_config.d"));
      Path key = tmp.resolve("host_key");
      Procs.Captured kg =
          Procs.capture(SshKeygen.ed25519(keygen.get().toString(), "kiln-check", key), 30);
      if (!kg.ok()) {
        findings.add(
            new Finding(recipe, CHECK, 1, "could not make a throwaway host key", kg.output()));
        return findings;
      }
      Files.writeString(
          tmp.resolve("sshd_config"), SshdText.localStock(stock, configDir, dropIns, key));
      Map<String, String> files = new LinkedHashMap<>();
      Object stockDropIns = CheckInput.at(in.recipe(), "sshd.stockDropIns");
      if (stockDropIns instanceof Map<?, ?> m) {
        m.forEach((k, v) -> files.put(String.valueOf(k), String.valueOf(v)));
      }
      for (Path p : rendered) {
        files.put(
            fileName(p),
            SshdAlgorithms.stripAlgorithms(Files.readString(p, StandardCharsets.UTF_8), newer));
      }
      for (Map.Entry<String, String> e : files.entrySet()) {
        Files.writeString(dropIns.resolve(e.getKey()), e.getValue());
      }
      // What provision.sh does to the image's files at bake time, done here by the same script.
      Path align = in.bundleDir().resolve("packer/sshd-align.sh");
      Procs.Captured aligned =
          Procs.capture(
              List.of(
                  "bash",
                  align.toString(),
                  dropIns.resolve(FileView.KILN_DROP_IN).toString(),
                  tmp.resolve("sshd_config").toString(),
                  dropIns.toString()),
              30);
      if (!aligned.ok()) {
        findings.add(
            new Finding(
                recipe,
                CHECK + ".fileview",
                FILE_VIEW_CONTROL,
                "packer/sshd-align.sh failed on the recipe's stock files (exit "
                    + aligned.exitCode()
                    + ")",
                aligned.output()));
        return findings;
      }
      Map<String, String> bakeTime = new LinkedHashMap<>(files);
      // Drop-ins that appear later (cloud-init at first boot, another package) or that a test
      // adds: the effective values must hold whatever they say.
      Map<String, String> later = new LinkedHashMap<>(HOSTILE_DROP_INS);
      later.putAll(in.extraSshdDropIns());
      files.putAll(later);
      String evidenceFiles = "drop-ins read in order: " + String.join(", ", sorted(files.keySet()));

      try {
        privsep = PrivsepDir.ensure();
      } catch (IOException e) {
        findings.add(PrivsepDir.missing(recipe, CHECK, 1, e));
        return findings;
      }
      String config = tmp.resolve("sshd_config").toString();
      findings.addAll(fileView(in, sshd.get(), tmp, bakeTime.keySet(), key));
      for (Map.Entry<String, String> e : later.entrySet()) {
        Files.writeString(dropIns.resolve(e.getKey()), e.getValue());
      }
      Procs.Captured t =
          Procs.capture(
              List.of(sshd.get().toString(), "-t", "-f", config, "-h", key.toString()), 30);
      if (!t.ok()) {
        findings.add(
            new Finding(
                recipe,
                CHECK + ".config",
                1,
                "sshd -t rejects the configuration (exit " + t.exitCode() + ")",
                t.output() + "\n" + evidenceFiles));
        return findings;
      }
      Procs.Captured big =
          Procs.capture(
              List.of(
                  sshd.get().toString(),
                  "-T",
                  "-f",
                  config,
                  "-h",
                  key.toString(),
                  "-C",
                  CONNECTION),
              30);
      if (!big.ok()) {
        findings.add(
            new Finding(
                recipe,
                CHECK + ".config",
                1,
                "sshd -T failed (exit " + big.exitCode() + ")",
                big.output() + "\n" + evidenceFiles));
        return findings;
      }
      findings.addAll(
          SshdExpectations.compare(in, SshdText.parse(big.stdout()), key, evidenceFiles));
    } catch (IOException e) {
      findings.add(
          new Finding(recipe, CHECK, 1, "could not prepare the temporary sshd root", e.toString()));
    } finally {
      if (privsep != null) {
        privsep.close();
      }
      Dirs.deleteQuietly(tmp);
    }
    return findings;
  }

  /**
   * Control 37: the files as the bake leaves them (stock ones after sshd-align.sh) state what
   * {@code sshd -T} shows for them.
   */
  private static List<Finding> fileView(
      CheckInput in, Path sshd, Path tmp, java.util.Collection<String> dropInNames, Path key)
      throws IOException {
    String evidence =
        "after packer/sshd-align.sh on the stock sshd_config and drop-ins "
            + String.join(", ", sorted(new LinkedHashSet<>(dropInNames)));
    Procs.Captured t =
        Procs.capture(
            List.of(
                sshd.toString(),
                "-T",
                "-f",
                tmp.resolve("sshd_config").toString(),
                "-h",
                key.toString(),
                "-C",
                CONNECTION),
            30);
    if (!t.ok()) {
      return List.of(
          new Finding(
              in.recipeId(),
              CHECK + ".fileview",
              FILE_VIEW_CONTROL,
              "sshd -T rejects the files as the bake leaves them (exit " + t.exitCode() + ")",
              t.output() + "\n" + evidence));
    }
    Map<String, String> view = new LinkedHashMap<>();
    view.put("sshd_config", Files.readString(tmp.resolve("sshd_config")));
    for (String name : sorted(new LinkedHashSet<>(dropInNames))) {
      view.put(name, Files.readString(tmp.resolve("sshd_config.d").resolve(name)));
    }
    List<Finding> out = new ArrayList<>();
    for (String d : FileView.divergences(view, SshdText.parse(t.stdout()))) {
      out.add(
          new Finding(
              in.recipeId(),
              CHECK + ".fileview",
              FILE_VIEW_CONTROL,
              "file view and effective view differ: " + d,
              evidence));
    }
    return out;
  }

  /** The name of a file listed from a directory, which always has one. */
  private static String fileName(Path listed) {
    return Objects.requireNonNull(listed.getFileName(), "a listed file has a name").toString();
  }

  private static List<String> sorted(Set<String> names) {
    return names.stream().sorted().toList();
  }
}
