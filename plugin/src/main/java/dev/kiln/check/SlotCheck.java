package dev.kiln.check;

import dev.kiln.exec.Procs;
import dev.kiln.exec.SshKeygen;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Who holds sshd's key slot and who may use a CA, per connection, as the local sshd reads the
 * bundle next to the drop-ins that claim the slot ({@link HostileFiles}, {@link
 * SshdCheck#HOSTILE_DROP_INS}), and with Instance Connect's unit drop-in's {@code -o} options on
 * the command line (the live view): for an IAM user and root the key command is Kiln's and no CA is
 * trusted; for the break-glass account (when the bundle has one) only its CA and principals file,
 * no key file and no key command; the live view equals the file view for all of them.
 */
final class SlotCheck {
  static final String CHECK = "sshd.slot";
  static final String CA = "/etc/ssh/kiln-breakglass/ca.pub";
  static final String PRINCIPALS = "/etc/ssh/kiln-breakglass/principals";

  private final Tools tools;

  SlotCheck(Tools tools) {
    this.tools = tools;
  }

  List<Finding> run(CheckInput in) {
    String recipe = in.recipeId();
    List<Finding> out = new ArrayList<>();
    Optional<Path> sshd = tools.find("sshd");
    Optional<Path> keygen = tools.find("ssh-keygen");
    String configDir = CheckInput.string(in.recipe(), "sshd.configDir");
    String stock = CheckInput.string(in.recipe(), "sshd.stockConfig");
    if (sshd.isEmpty() || keygen.isEmpty() || configDir == null || stock == null) {
      return out; // SshdCheck reports the missing tool or recipe key
    }
    String breakGlass = breakGlassUser(in.bundleDir());
    List<String> live =
        SshdCommandLine.configOptions(
            SshdCommandLine.execStart(
                List.of(
                    new SshdCommandLine.UnitFile(
                        HostileFiles.EIC_UNIT_DROP_IN_NAME, HostileFiles.EIC_UNIT_DROP_IN)),
                Map.of()));
    Path tmp = null;
    PrivsepDir privsep = null;
    try {
      tmp = Files.createTempDirectory("kiln-slot-check");
      Path dropIns = Files.createDirectory(tmp.resolve("sshd_config.d"));
      Path key = tmp.resolve("host_key");
      Procs.capture(SshKeygen.ed25519(keygen.get().toString(), "kiln-check", key), 30);
      Files.writeString(
          tmp.resolve("sshd_config"), SshdText.localStock(stock, configDir, dropIns, key));
      Map<String, String> files = new LinkedHashMap<>(SshdCheck.HOSTILE_DROP_INS);
      files.put(HostileFiles.USERDB_DROP_IN_NAME, HostileFiles.USERDB_DROP_IN);
      try (Stream<Path> s = Files.list(in.bundleDir().resolve("rootfs" + configDir))) {
        for (Path p : s.toList()) {
          files.put(String.valueOf(p.getFileName()), Files.readString(p, StandardCharsets.UTF_8));
        }
      }
      files.putAll(in.extraSshdDropIns());
      // The local sshd cannot parse algorithms only the recipe's newer OpenSSH knows (debian-13's
      // mlkem768x25519-sha256 on a Debian 12 host): left out here as SshdCheck does.
      Set<String> newer = new SshdAlgorithms(tools).newerAlgorithms(in);
      for (Map.Entry<String, String> e : files.entrySet()) {
        Files.writeString(
            dropIns.resolve(e.getKey()), SshdAlgorithms.stripAlgorithms(e.getValue(), newer));
      }
      try {
        privsep = PrivsepDir.ensure();
      } catch (IOException e) {
        out.add(PrivsepDir.missing(recipe, CHECK, 8, e));
        return out;
      }
      List<String> base =
          List.of(
              sshd.get().toString(),
              "-T",
              "-f",
              tmp.resolve("sshd_config").toString(),
              "-h",
              key.toString());
      List<String> users = new ArrayList<>(List.of("kilnprobe", "root"));
      if (breakGlass != null) {
        users.add(breakGlass);
      }
      String evidence =
          "drop-ins: "
              + files.keySet().stream().sorted().toList()
              + "; -o options of "
              + HostileFiles.EIC_UNIT_DROP_IN_NAME
              + ": "
              + live;
      for (String u : users) {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of("-C", "user=" + u + ",host=probe.example,addr=192.0.2.10"));
        Procs.Captured fileView = Procs.capture(cmd, 30);
        cmd.addAll(live);
        Procs.Captured liveView = Procs.capture(cmd, 30);
        if (!fileView.ok() || !liveView.ok()) {
          out.add(
              new Finding(
                  recipe,
                  CHECK,
                  8,
                  "sshd -T -C user=" + u + " failed",
                  fileView.output() + liveView.output()));
          continue;
        }
        for (String d : LiveView.differences(fileView.stdout(), liveView.stdout())) {
          out.add(
              new Finding(
                  recipe,
                  CHECK + ".live",
                  8,
                  "for "
                      + u
                      + ", Instance Connect's unit drop-in (-o on sshd's command line) changes "
                      + d
                      + "; expected Kiln's Match all block (00-kiln-slot.conf) to keep the slot",
                  evidence));
        }
        out.addAll(
            expect(recipe, u, u.equals(breakGlass), SshdText.parse(fileView.stdout()), evidence));
      }
      if (breakGlass != null) {
        Procs.Captured fp =
            Procs.capture(
                List.of(
                    keygen.get().toString(),
                    "-l",
                    "-f",
                    in.bundleDir().resolve("rootfs" + CA).toString()),
                30);
        if (!fp.ok()) {
          out.add(
              new Finding(
                  recipe,
                  CHECK + ".ca",
                  0,
                  "ssh-keygen -l cannot read the break-glass CA key " + CA,
                  fp.output()));
        }
      }
    } catch (IOException e) {
      out.add(
          new Finding(recipe, CHECK, 8, "could not prepare the temporary sshd root", e.toString()));
    } finally {
      if (privsep != null) {
        privsep.close();
      }
      Dirs.deleteQuietly(tmp);
    }
    return out;
  }

  /** The values each kind of account must get. */
  private static List<Finding> expect(
      String recipe,
      String user,
      boolean breakGlass,
      Map<String, List<String>> eff,
      String evidence) {
    Map<String, String> want = new LinkedHashMap<>();
    if (breakGlass) {
      want.put("trustedusercakeys", CA);
      want.put("authorizedprincipalsfile", PRINCIPALS);
      want.put("authorizedprincipalscommand", "none");
      want.put("authorizedkeysfile", "none");
      want.put("authorizedkeyscommand", "none");
      want.put("allowgroups", user);
    } else {
      want.put("trustedusercakeys", "none");
      want.put("authorizedprincipalsfile", "none");
      want.put("authorizedkeysfile", "none");
      want.put("authorizedkeyscommand", SshdExpectations.KEY_COMMAND);
      want.put("authorizedkeyscommanduser", SshdExpectations.KEY_COMMAND_USER);
    }
    List<Finding> out = new ArrayList<>();
    for (Map.Entry<String, String> w : want.entrySet()) {
      List<String> got = eff.getOrDefault(w.getKey(), List.of());
      boolean ok =
          w.getKey().equals("allowgroups")
              ? got.contains(w.getValue())
              : got.equals(List.of(w.getValue()));
      if (!ok) {
        out.add(
            new Finding(
                recipe,
                CHECK + "." + w.getKey(),
                8,
                "for "
                    + user
                    + " effective "
                    + w.getKey()
                    + " is '"
                    + String.join(" | ", got)
                    + "', expected '"
                    + w.getValue()
                    + "'"
                    + (breakGlass
                        ? " (the break-glass account)"
                        : " (no CA may be trusted but for the break-glass account)"),
                evidence));
      }
    }
    return out;
  }

  /** The break-glass account of the bundle (its principals file), or null. */
  static String breakGlassUser(Path bundle) {
    try {
      Path p = bundle.resolve("rootfs" + PRINCIPALS);
      return Files.isRegularFile(p) ? Files.readString(p).strip() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
