package dev.kiln.publish;

import dev.kiln.check.EffectiveSshd;
import dev.kiln.exec.Procs;
import dev.kiln.render.Json;
import dev.kiln.sandbox.CandidateBridges;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateNetwork;
import dev.kiln.sandbox.CandidateSandbox;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.spec.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A group of sandbox instances that stands in for an Auto Scaling group: instances booted from an
 * image (each a {@link CandidateSandbox}, kept running after Maven exits), recorded in {@code
 * <cacheDir>/groups/<name>.json} as they are created, so a later Maven run rolls them out, rolls
 * them back or removes them ({@code kiln:terminate -Dkiln.rollout.group=NAME}).
 */
public final class SandboxGroup {
  /** One instance of the group. */
  public record Member(
      String instanceId, String amiId, String launchedAt, CandidateState sandbox) {}

  /** The group's record file. */
  record Doc(String name, String region, List<Member> members) {}

  private final Path cacheDir;
  private final String name;
  private final Path file;
  private final String region;
  private final List<Member> members = new ArrayList<>();
  private final Object lock = new Object();

  private SandboxGroup(Path cacheDir, String name, String region) {
    this.cacheDir = cacheDir.toAbsolutePath();
    this.name = name;
    this.region = region;
    this.file = groupsDir(cacheDir).resolve(name + ".json");
  }

  static Path groupsDir(Path cacheDir) {
    return cacheDir.toAbsolutePath().resolve("groups");
  }

  /** The group's record (empty when the group has no instances yet). */
  public static SandboxGroup load(Path cacheDir, String name, String region) throws KilnException {
    Names.group("rollout.group", name);
    SandboxGroup g = new SandboxGroup(cacheDir, name, region);
    Json.read(g.file, Doc.class)
        .ifPresent(d -> g.members.addAll(d.members() == null ? List.of() : d.members()));
    return g;
  }

  /** Names of every recorded group. */
  public static List<String> names(Path cacheDir) {
    try (var s = Files.list(groupsDir(cacheDir))) {
      return s.map(p -> String.valueOf(p.getFileName()))
          .filter(f -> f.endsWith(".json"))
          .map(f -> f.substring(0, f.length() - 5))
          .sorted()
          .toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  public String name() {
    return name;
  }

  public List<Member> members() {
    synchronized (lock) {
      return List.copyOf(members);
    }
  }

  private void persist() {
    synchronized (lock) {
      try {
        Json.save(file, new Doc(name, region, List.copyOf(members)));
      } catch (KilnException e) {
        System.err.println("[kiln] cannot record group " + name + ": " + e.getMessage());
      }
    }
  }

  /**
   * Boots one instance of {@code amiId} and adds it to the group; the record names it from its
   * first resource on, so a kill leaves nothing unrecorded. A failed boot removes what it made.
   */
  public Member launch(String amiId, Duration timeout, Consumer<String> log) throws KilnException {
    Member[] slot = {null};
    CandidateState s =
        CandidateSandbox.launch(
            cacheDir,
            amiId,
            region,
            "kiln-group-" + name,
            timeout,
            false,
            st -> {
              synchronized (lock) {
                members.remove(slot[0]);
                slot[0] = new Member(st.instanceId, amiId, Instant.now().toString(), st);
                members.add(slot[0]);
              }
              persist();
            },
            log);
    synchronized (lock) {
      members.remove(slot[0]);
      slot[0] = new Member(s.instanceId, amiId, Instant.now().toString(), s);
      members.add(slot[0]);
    }
    persist();
    return slot[0];
  }

  /** Removes one instance; "removed" is logged after it is gone. */
  public List<String> remove(Member m, Consumer<String> log) {
    List<String> removed = CandidateCleanup.terminate(m.sandbox());
    synchronized (lock) {
      members.removeIf(x -> x.instanceId().equals(m.instanceId()));
    }
    persist();
    log.accept("  removed " + m.instanceId() + " (" + m.amiId() + ")");
    return removed;
  }

  /** Removes every instance and the record. */
  public List<String> terminate(Consumer<String> log) throws KilnException {
    List<String> removed = new ArrayList<>();
    for (Member m : members()) {
      removed.addAll(remove(m, log));
    }
    try {
      Files.deleteIfExists(file);
    } catch (java.io.IOException e) {
      throw new KilnException("cannot delete " + file + ": " + e.getMessage(), e);
    }
    return removed;
  }

  /**
   * Why the instance is not healthy, or null when it is: its SSH banner answers and the effective
   * sshd configuration ({@code sshd -T} inside it) holds the seed requirements.
   */
  public static String unhealthy(Member m) {
    CandidateState s = m.sandbox();
    try {
      int port = s.source("probe").port();
      String banner = CandidateBridges.banner(port);
      if (!banner.startsWith("SSH-")) {
        return "no SSH banner (" + banner.strip() + ")";
      }
      Procs.Result r =
          CandidateSandbox.exec(
              s,
              "/usr/sbin/sshd -T -C user=kiln-health,host=health.invalid,addr="
                  + CandidateNetwork.SOURCES.get("user"),
              Duration.ofSeconds(20));
      if (r.exitCode() != 0) {
        return "sshd -T failed (exit " + r.exitCode() + "): " + Procs.tail(r.output());
      }
      List<String> v = EffectiveSshd.invariantViolations(r.output());
      return v.isEmpty() ? null : "effective sshd configuration: " + String.join("; ", v);
    } catch (KilnException e) {
      return e.getMessage();
    }
  }
}
