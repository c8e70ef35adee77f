package dev.kiln.check;

import dev.kiln.exec.Procs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Controls 1–12 and 14–27 of hardening.md on the EFFECTIVE configuration: the recipe's stock
 * sshd_config and stock drop-ins, the bundle's drop-ins and hostile drop-ins (cloud-init's {@code
 * PasswordAuthentication yes}, another image's weak ciphers and key command) are read by the local
 * sshd ({@code sshd -t}, then {@code sshd -T -C …}) in a temporary directory, and every value sshd
 * would use is compared with what the hardening parameters ask for.
 */
final class SshdCheck {
  static final String CHECK = "sshd";
  static final String KEY_COMMAND = "/usr/libexec/kiln/authorized-keys %u %f";
  static final String KEY_COMMAND_USER = "kiln-keys";
  static final String CONNECTION = "user=kilnprobe,host=probe.example,addr=192.0.2.10";

  /** hardening.md control: every file states what sshd -T shows (scanner-proof files). */
  static final int FILE_VIEW_CONTROL = 37;

  /** The algorithm keywords of the drop-in and their {@code sshd} map kinds. */
  private static final Map<String, String> ALGORITHM_KEYWORDS =
      Map.of(
          "kexalgorithms", "kex",
          "ciphers", "ciphers",
          "macs", "macs",
          "hostkeyalgorithms", "hostKeyAlgorithms");

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

  /** One expected effective value. */
  private record Expect(String key, int control, String value) {}

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
    findings.addAll(unknownAlgorithms(in, newer));
    if (!newer.isEmpty()) {
      in = withoutAlgorithms(in, newer);
    }

    Path tmp = null;
    boolean createdRunSshd = false;
    Path runSshd = Path.of("/run/sshd");
    try {
      tmp = Files.createTempDirectory("kiln-sshd-check");
      Path dropIns = Files.createDirectory(tmp.resolve("sshd_config.d"));
      Path key = tmp.resolve("host_key");
      Procs.Captured kg =
          Procs.capture(
              List.of(
                  keygen.get().toString(), "-q", "-t", "ed25519", "-N", "", "-f", key.toString()),
              30);
      if (!kg.ok()) {
        findings.add(
            new Finding(recipe, CHECK, 1, "could not make a throwaway host key", kg.output()));
        return findings;
      }
      Files.writeString(tmp.resolve("sshd_config"), localStock(stock, configDir, dropIns, key));
      Map<String, String> files = new LinkedHashMap<>();
      Object stockDropIns = CheckInput.at(in.recipe(), "sshd.stockDropIns");
      if (stockDropIns instanceof Map<?, ?> m) {
        m.forEach((k, v) -> files.put(String.valueOf(k), String.valueOf(v)));
      }
      for (Path p : rendered) {
        files.put(fileName(p), stripAlgorithms(Files.readString(p, StandardCharsets.UTF_8), newer));
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

      if (!Files.isDirectory(runSshd)) {
        try {
          Files.createDirectories(runSshd);
          createdRunSshd = true;
        } catch (IOException e) {
          findings.add(
              new Finding(
                  recipe,
                  CHECK,
                  1,
                  "sshd -t/-T need the privilege separation directory /run/sshd; create it (mkdir"
                      + " -p /run/sshd) or run the check as root",
                  e.toString()));
          return findings;
        }
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
      findings.addAll(compare(in, parse(big.stdout()), key, evidenceFiles));
    } catch (IOException e) {
      findings.add(
          new Finding(recipe, CHECK, 1, "could not prepare the temporary sshd root", e.toString()));
    } finally {
      if (createdRunSshd) {
        try {
          Files.deleteIfExists(runSshd);
        } catch (IOException e) {
          // left behind; harmless
        }
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
    for (String d : FileView.divergences(view, parse(t.stdout()))) {
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

  /** The stock sshd_config, reading the temporary drop-in directory and the throwaway key. */
  static String localStock(String stock, String configDir, Path dropIns, Path key) {
    StringBuilder b = new StringBuilder();
    for (String line : stock.split("\n", -1)) {
      String t = line.strip();
      String lower = t.toLowerCase(Locale.ROOT);
      if (lower.startsWith("include") && t.contains(configDir + "/")) {
        b.append(t.replace(configDir + "/", dropIns + "/"));
      } else if (lower.startsWith("hostkey ") || lower.startsWith("hostkey\t")) {
        b.append("HostKey ").append(key);
      } else {
        b.append(line);
      }
      b.append('\n');
    }
    return b.toString().replaceAll("\n+$", "\n");
  }

  /** {@code sshd -T} output: lowercase keyword → every value it printed, in order. */
  static Map<String, List<String>> parse(String out) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      int sp = l.indexOf(' ');
      String k = (sp < 0 ? l : l.substring(0, sp)).toLowerCase(Locale.ROOT);
      String v = sp < 0 ? "" : l.substring(sp + 1).strip();
      m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return m;
  }

  private static List<Expect> expectations(CheckInput in) {
    Map<String, Object> h = in.hardening();
    List<Expect> e = new ArrayList<>();
    e.add(new Expect("permitrootlogin", 2, "no"));
    e.add(new Expect("passwordauthentication", 3, "no"));
    e.add(new Expect("kbdinteractiveauthentication", 4, "no"));
    e.add(new Expect("authenticationmethods", 5, "publickey"));
    e.add(new Expect("permitemptypasswords", 6, "no"));
    e.add(new Expect("pubkeyauthentication", 7, "yes"));
    e.add(new Expect("authorizedkeyscommand", 8, KEY_COMMAND));
    e.add(new Expect("authorizedkeyscommanduser", 8, KEY_COMMAND_USER));
    e.add(new Expect("authorizedkeysfile", 8, "none"));
    e.add(new Expect("kexalgorithms", 9, String.join(",", CheckInput.strings(in.sshd(), "kex"))));
    e.add(new Expect("ciphers", 10, String.join(",", CheckInput.strings(in.sshd(), "ciphers"))));
    e.add(new Expect("macs", 11, String.join(",", CheckInput.strings(in.sshd(), "macs"))));
    e.add(
        new Expect(
            "hostkeyalgorithms",
            12,
            String.join(",", CheckInput.strings(in.sshd(), "hostKeyAlgorithms"))));
    e.add(new Expect("maxauthtries", 14, str(h.get("maxAuthTries"))));
    e.add(new Expect("logingracetime", 15, str(h.get("loginGraceTime"))));
    e.add(new Expect("maxstartups", 16, str(h.get("maxStartups"))));
    e.add(new Expect("maxsessions", 17, str(h.get("maxSessions"))));
    e.add(new Expect("clientaliveinterval", 18, str(h.get("clientAliveInterval"))));
    e.add(new Expect("clientalivecountmax", 18, str(h.get("clientAliveCountMax"))));
    e.add(new Expect("x11forwarding", 19, "no"));
    e.add(new Expect("allowagentforwarding", 19, "no"));
    e.add(
        new Expect(
            "allowtcpforwarding",
            19,
            Boolean.TRUE.equals(h.get("allowTcpForwarding")) ? "yes" : "no"));
    e.add(
        new Expect(
            "disableforwarding",
            19,
            Boolean.TRUE.equals(h.get("allowTcpForwarding")) ? "no" : "yes"));
    e.add(new Expect("permittunnel", 19, "no"));
    e.add(new Expect("gatewayports", 19, "no"));
    e.add(new Expect("permituserenvironment", 20, "no"));
    e.add(new Expect("hostbasedauthentication", 21, "no"));
    e.add(new Expect("ignorerhosts", 21, "yes"));
    e.add(new Expect("gssapiauthentication", 22, "no"));
    e.add(new Expect("kerberosauthentication", 22, "no"));
    e.add(new Expect("usepam", 23, "yes"));
    e.add(new Expect("loglevel", 24, "VERBOSE"));
    e.add(new Expect("compression", 25, "no"));
    e.add(new Expect("tcpkeepalive", 25, "no"));
    e.add(new Expect("usedns", 25, "no"));
    e.add(new Expect("strictmodes", 25, "yes"));
    String banner = str(h.get("banner"));
    e.add(new Expect("banner", 27, banner.isEmpty() ? "none" : banner));
    e.add(new Expect("port", 0, str(h.get("port"))));
    return e;
  }

  /** Keywords that only exist when sshd was built with the feature (GSSAPI, Kerberos). */
  private static final Set<String> OPTIONAL =
      Set.of("gssapiauthentication", "kerberosauthentication");

  static List<Finding> compare(
      CheckInput in, Map<String, List<String>> eff, Path key, String evidenceFiles) {
    String recipe = in.recipeId();
    List<Finding> out = new ArrayList<>();
    for (Expect x : expectations(in)) {
      List<String> got = eff.get(x.key());
      if (got == null) {
        if (!OPTIONAL.contains(x.key())) {
          out.add(
              new Finding(
                  recipe,
                  CHECK + "." + x.key(),
                  x.control(),
                  "sshd -T does not print " + x.key() + "; expected " + x.key() + " " + x.value(),
                  evidenceFiles));
        }
        continue;
      }
      if (got.size() != 1 || !got.get(0).equalsIgnoreCase(x.value())) {
        out.add(
            new Finding(
                recipe,
                CHECK + "." + x.key(),
                x.control(),
                "effective "
                    + x.key()
                    + " is '"
                    + String.join(" | ", got)
                    + "', expected '"
                    + x.value()
                    + "'",
                evidenceFiles));
      }
    }
    // Control 26: exactly the marker group plus the listed local groups.
    Set<String> groups = new LinkedHashSet<>();
    String marker = CheckInput.string(in.access(), "markerGroup");
    if (marker != null) {
      groups.add(marker);
    }
    groups.addAll(CheckInput.strings(in.hardening(), "allowGroups"));
    Set<String> gotGroups = new LinkedHashSet<>();
    for (String v : eff.getOrDefault("allowgroups", List.of())) {
      gotGroups.addAll(List.of(v.split("\\s+")));
    }
    if (!gotGroups.equals(groups)) {
      out.add(
          new Finding(
              recipe,
              CHECK + ".allowgroups",
              26,
              "effective allowgroups is "
                  + gotGroups
                  + ", expected "
                  + groups
                  + " (access.markerGroup plus hardening.allowGroups)",
              evidenceFiles));
    }
    // Control 12: host keys are ed25519 and RSA only (the throwaway key stands in for them).
    for (String hk : eff.getOrDefault("hostkey", List.of())) {
      boolean ok =
          hk.equals(key.toString())
              || hk.endsWith("/ssh_host_ed25519_key")
              || hk.endsWith("/ssh_host_rsa_key");
      if (!ok) {
        out.add(
            new Finding(
                recipe,
                CHECK + ".hostkey",
                12,
                "effective hostkey "
                    + hk
                    + " is neither ed25519 nor RSA; expected only ssh_host_ed25519_key and"
                    + " ssh_host_rsa_key",
                evidenceFiles));
      }
    }
    return out;
  }

  /**
   * Control 9–12: algorithms the local sshd cannot parse are findings, not crashes. When the
   * recipe's OpenSSH is newer than the local one, the algorithms only the newer version knows (such
   * as mlkem768x25519-sha256 since 9.9) go into {@code newer} and a note says the rest was checked
   * here; verify checks the whole list on the candidate.
   */
  private List<Finding> unknownAlgorithms(CheckInput in, Set<String> newer) {
    List<Finding> out = new ArrayList<>();
    Optional<Path> ssh = tools.find("ssh");
    Map<String, String> query =
        Map.of(
            "kex",
            "kex",
            "ciphers",
            "cipher",
            "macs",
            "mac",
            "hostKeyAlgorithms",
            "HostKeyAlgorithms");
    Map<String, Integer> control =
        Map.of("kex", 9, "ciphers", 10, "macs", 11, "hostKeyAlgorithms", 12);
    for (String kind : List.of("kex", "ciphers", "macs", "hostKeyAlgorithms")) {
      List<String> wanted = CheckInput.strings(in.sshd(), kind);
      if (wanted.isEmpty()) {
        out.add(
            new Finding(
                in.recipeId(),
                CHECK + "." + kind,
                control.get(kind),
                "sshd." + kind + " is empty; expected the algorithm list resolved for the recipe",
                ""));
        continue;
      }
      if (ssh.isEmpty()) {
        continue;
      }
      Procs.Captured r = Procs.capture(List.of(ssh.get().toString(), "-Q", query.get(kind)), 10);
      if (!r.ok()) {
        continue;
      }
      Set<String> known = new LinkedHashSet<>(List.of(r.stdout().strip().split("\\s+")));
      List<String> unknown = wanted.stream().filter(a -> !known.contains(a)).toList();
      String recipeVersion = CheckInput.string(in.recipe(), "openssh.version");
      String localVersion = localVersion(ssh.get());
      if (!unknown.isEmpty()
          && localVersion != null
          && recipeVersion != null
          && compareVersions(recipeVersion, localVersion) > 0
          && unknown.size() < wanted.size()) {
        newer.addAll(unknown);
        out.add(
            new Finding(
                in.recipeId(),
                CHECK + "." + kind,
                control.get(kind),
                "note: the local OpenSSH "
                    + localVersion
                    + " is older than the recipe's "
                    + recipeVersion
                    + " and does not know "
                    + unknown
                    + "; the configuration was checked here without them (kiln:verify checks the"
                    + " whole list on the candidate)",
                "ssh -Q " + query.get(kind) + " lists " + known.size() + " algorithms"));
        continue;
      }
      if (!unknown.isEmpty()) {
        out.add(
            new Finding(
                in.recipeId(),
                CHECK + "." + kind,
                control.get(kind),
                "the local OpenSSH does not know "
                    + unknown
                    + ", so the configuration cannot be validated here; validate on a machine"
                    + " whose OpenSSH is at least the recipe's ("
                    + CheckInput.string(in.recipe(), "openssh.version")
                    + ")",
                "ssh -Q " + query.get(kind) + " lists " + known.size() + " algorithms"));
      }
    }
    return out;
  }

  /**
   * The algorithms of {@code in} that only the recipe's newer OpenSSH knows (see {@link
   * #unknownAlgorithms}); other checks that run the local sshd on the bundle leave them out too.
   */
  Set<String> newerAlgorithms(CheckInput in) {
    Set<String> newer = new LinkedHashSet<>();
    unknownAlgorithms(in, newer);
    return newer;
  }

  /** {@code in} with {@code drop} removed from its algorithm lists. */
  private static CheckInput withoutAlgorithms(CheckInput in, Set<String> drop) {
    Map<String, Object> sshd = new LinkedHashMap<>(in.sshd());
    for (String kind : ALGORITHM_KEYWORDS.values()) {
      sshd.put(
          kind,
          CheckInput.strings(in.sshd(), kind).stream().filter(a -> !drop.contains(a)).toList());
    }
    return new CheckInput(
        in.bundleDir(), in.recipe(), in.hardening(), sshd, in.access(), in.extraSshdDropIns());
  }

  /** A drop-in's text with {@code drop} removed from its algorithm lines. */
  static String stripAlgorithms(String text, Set<String> drop) {
    if (drop.isEmpty()) {
      return text;
    }
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      String[] kv = line.strip().split("\\s+", 2);
      if (kv.length == 2 && ALGORITHM_KEYWORDS.containsKey(kv[0].toLowerCase(Locale.ROOT))) {
        List<String> kept =
            List.of(kv[1].split(",")).stream().filter(a -> !drop.contains(a)).toList();
        line = kv[0] + " " + String.join(",", kept);
      }
      b.append(line).append('\n');
    }
    return b.substring(0, b.length() - 1);
  }

  /** The local OpenSSH's major.minor ({@code ssh -V}), or null. */
  private static String localVersion(Path ssh) {
    Procs.Captured r = Procs.capture(List.of(ssh.toString(), "-V"), 10);
    var m = java.util.regex.Pattern.compile("OpenSSH_(\\d+\\.\\d+)").matcher(r.output());
    return m.find() ? m.group(1) : null;
  }

  /** Compares major.minor versions numerically. */
  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < 2; i++) {
      int c =
          Integer.compare(
              Integer.parseInt(x.length > i ? x[i] : "0"),
              Integer.parseInt(y.length > i ? y[i] : "0"));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** The name of a file listed from a directory, which always has one. */
  private static String fileName(Path listed) {
    return Objects.requireNonNull(listed.getFileName(), "a listed file has a name").toString();
  }

  private static List<String> sorted(Set<String> names) {
    return names.stream().sorted().toList();
  }

  private static String str(Object o) {
    return o == null ? "" : o.toString();
  }
}
