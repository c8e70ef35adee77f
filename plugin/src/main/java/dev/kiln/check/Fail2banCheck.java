package dev.kiln.check;

import dev.kiln.exec.Procs;
import java.io.IOException;
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
 * Controls 31–33: the rendered jails, read by the local fail2ban with the system's configuration
 * ({@code fail2ban-client -c DIR -t}, then {@code -d}, whose parsed jail is asserted on: {@code -t}
 * lets a mistyped backend or a non-numeric maxretry through).
 */
final class Fail2banCheck {
  static final String CHECK = "fail2ban";
  static final Path SYSTEM_CONFIG = Path.of("/etc/fail2ban");

  private final Tools tools;
  private final Path systemConfig;

  Fail2banCheck(Tools tools, Path systemConfig) {
    this.tools = tools;
    this.systemConfig = systemConfig;
  }

  List<Finding> run(CheckInput in) {
    String recipe = in.recipeId();
    List<Finding> findings = new ArrayList<>();
    Optional<Path> client = tools.find("fail2ban-client");
    if (client.isEmpty()) {
      findings.add(Tools.missing(recipe, CHECK, 31, "fail2ban-client", "the fail2ban jails"));
      return findings;
    }
    if (!Files.isRegularFile(systemConfig.resolve("jail.conf"))) {
      findings.add(
          new Finding(
              recipe,
              CHECK,
              31,
              systemConfig
                  + "/jail.conf is missing: the rendered jails extend the stock"
                  + " configuration; install it: apt-get install fail2ban",
              ""));
      return findings;
    }
    Path jailD = in.bundleDir().resolve("rootfs/etc/fail2ban/jail.d");
    List<Path> rendered = new ArrayList<>();
    try (var s = Files.list(jailD)) {
      s.sorted().forEach(rendered::add);
    } catch (IOException e) {
      // reported below
    }
    if (rendered.isEmpty()) {
      findings.add(
          new Finding(
              recipe,
              CHECK,
              31,
              "the bundle has no jail; expected rootfs/etc/fail2ban/jail.d/00-kiln.local",
              "looked in " + jailD));
      return findings;
    }
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("kiln-fail2ban-check");
      Path conf = tmp.resolve("fail2ban");
      Dirs.copyTree(systemConfig, conf);
      Files.createDirectories(conf.resolve("jail.d"));
      for (Path p : rendered) {
        Path name = Objects.requireNonNull(p.getFileName(), "a listed file has a name");
        Files.copy(p, conf.resolve("jail.d").resolve(name.toString()));
      }
      // recidive reads fail2ban's own log, which a build machine may not have: point it at an
      // empty file (read last, changes nothing that is asserted).
      Path log = Files.createFile(tmp.resolve("fail2ban.log"));
      Files.writeString(
          conf.resolve("jail.d").resolve("zzzz-kiln-check.local"),
          "[recidive]\nlogpath = " + log + "\n");
      List<String> base = List.of(client.get().toString(), "-c", conf.toString());
      Procs.Captured t = Procs.capture(concat(base, "-t"), 60);
      if (!t.ok()) {
        findings.add(
            new Finding(
                recipe,
                CHECK + ".config",
                31,
                "fail2ban-client -t rejects the jails (exit " + t.exitCode() + ")",
                t.output()));
        return findings;
      }
      Procs.Captured d = Procs.capture(concat(base, "-d"), 60);
      if (!d.ok()) {
        findings.add(
            new Finding(
                recipe,
                CHECK + ".config",
                31,
                "fail2ban-client -d failed (exit " + d.exitCode() + ")",
                d.output()));
        return findings;
      }
      findings.addAll(assertJails(in, parseDump(d.stdout())));
    } catch (IOException | IllegalArgumentException e) {
      findings.add(new Finding(recipe, CHECK, 31, "could not check the jails", e.toString()));
    } finally {
      Dirs.deleteQuietly(tmp);
    }
    return findings;
  }

  /** A jail as {@code -d} describes it. */
  record Jail(
      String backend, Map<String, List<Object>> settings, List<String> actions, boolean started) {}

  static Map<String, Jail> parseDump(String out) {
    Map<String, String> backends = new LinkedHashMap<>();
    Map<String, Map<String, List<Object>>> settings = new LinkedHashMap<>();
    Map<String, List<String>> actions = new LinkedHashMap<>();
    Set<String> started = new LinkedHashSet<>();
    for (String line : out.split("\n")) {
      if (!line.startsWith("[")) {
        continue;
      }
      if (!(PyLiteral.parse(line) instanceof List<?> cmd) || cmd.size() < 2) {
        continue;
      }
      String verb = String.valueOf(cmd.get(0));
      String jail = String.valueOf(cmd.get(1));
      if (verb.equals("add") && cmd.size() >= 3) {
        backends.put(jail, String.valueOf(cmd.get(2)));
      } else if (verb.equals("start")) {
        started.add(jail);
      } else if (verb.equals("set") && cmd.size() >= 4) {
        String key = String.valueOf(cmd.get(2));
        List<Object> values = new ArrayList<>(cmd.subList(3, cmd.size()));
        if (key.equals("addaction")) {
          actions.computeIfAbsent(jail, k -> new ArrayList<>()).add(String.valueOf(values.get(0)));
        } else {
          settings.computeIfAbsent(jail, k -> new LinkedHashMap<>()).put(key, values);
        }
      }
    }
    Map<String, Jail> jails = new LinkedHashMap<>();
    for (Map.Entry<String, String> b : backends.entrySet()) {
      String j = b.getKey();
      jails.put(
          j,
          new Jail(
              b.getValue(),
              settings.getOrDefault(j, Map.of()),
              actions.getOrDefault(j, List.of()),
              started.contains(j)));
    }
    return jails;
  }

  private static List<Finding> assertJails(CheckInput in, Map<String, Jail> jails) {
    String recipe = in.recipeId();
    Map<String, Object> h = in.hardening();
    List<Finding> out = new ArrayList<>();
    String backend = CheckInput.string(in.recipe(), "fail2ban.backend");
    String banaction = CheckInput.string(in.recipe(), "fail2ban.banaction");
    String allports = CheckInput.string(in.recipe(), "fail2ban.banactionAllports");
    List<String> ignore = new ArrayList<>(List.of("127.0.0.1/8", "::1"));
    ignore.addAll(CheckInput.strings(h, "trustedCidrs"));

    Jail sshd = jails.get("sshd");
    if (sshd == null || !sshd.started()) {
      out.add(
          finding(recipe, "sshd", 31, "the sshd jail is not enabled", jails.keySet().toString()));
    } else {
      expect(out, recipe, "sshd", 31, "backend", sshd.backend(), backend);
      expect(
          out,
          recipe,
          "sshd",
          31,
          "maxretry",
          one(sshd, "maxretry"),
          str(h.get("fail2banMaxRetry")));
      expect(
          out,
          recipe,
          "sshd",
          31,
          "findtime",
          one(sshd, "findtime"),
          str(h.get("fail2banFindTime")));
      expect(
          out, recipe, "sshd", 31, "bantime", one(sshd, "bantime"), str(h.get("fail2banBanTime")));
      expect(out, recipe, "sshd", 31, "bantime.increment", one(sshd, "bantime.increment"), "true");
      expect(out, recipe, "sshd", 31, "banaction", String.join(",", sshd.actions()), banaction);
      expect(
          out, recipe, "sshd", 33, "ignoreip", all(sshd, "addignoreip"), String.join(" ", ignore));
    }
    Jail rec = jails.get("recidive");
    if (rec == null || !rec.started()) {
      out.add(
          finding(
              recipe,
              "recidive",
              32,
              "the recidive jail is not enabled",
              jails.keySet().toString()));
    } else {
      expect(
          out,
          recipe,
          "recidive",
          32,
          "bantime",
          one(rec, "bantime"),
          str(h.get("fail2banRecidiveBanTime")));
      expect(out, recipe, "recidive", 32, "banaction", String.join(",", rec.actions()), allports);
      expect(
          out,
          recipe,
          "recidive",
          33,
          "ignoreip",
          all(rec, "addignoreip"),
          String.join(" ", ignore));
    }
    return out;
  }

  private static void expect(
      List<Finding> out,
      String recipe,
      String jail,
      int control,
      String key,
      String got,
      String want) {
    if (want == null || !want.equalsIgnoreCase(got == null ? "" : got)) {
      out.add(
          finding(
              recipe,
              jail,
              control,
              "[" + jail + "] " + key + " is '" + got + "', expected '" + want + "'",
              "fail2ban-client -d"));
    }
  }

  private static Finding finding(String recipe, String jail, int control, String msg, String ev) {
    return new Finding(recipe, CHECK + "." + jail, control, msg, ev);
  }

  private static String one(Jail j, String key) {
    List<Object> v = j.settings().get(key);
    return v == null || v.isEmpty() ? null : String.valueOf(v.get(0));
  }

  private static String all(Jail j, String key) {
    List<Object> v = j.settings().get(key);
    return v == null ? null : String.join(" ", v.stream().map(String::valueOf).toList());
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  private static List<String> concat(List<String> a, String b) {
    List<String> out = new ArrayList<>(a);
    out.add(b);
    return out;
  }
}
