package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Linux network namespace that Kiln created ({@code ip netns add}). It has only a loopback
 * interface until veth pairs are added, and never a default route: nothing inside can reach
 * anything outside the sandbox.
 *
 * <p>Names follow {@code kiln-<runid-short>-<role>}. {@link #close()} kills every process still
 * inside ({@code ip netns pids}) and deletes the namespace. That needs the {@code /run/netns} mount
 * to be visible; what Kiln starts is also recorded in a {@link Ledger}, which does not.
 */
public final class Netns implements AutoCloseable {
  private static final Duration T = Duration.ofSeconds(20);
  private final String name;
  private final Object lock = new Object();
  private boolean closed;

  private Netns(String name) {
    this.name = name;
  }

  /** Creates the namespace and brings its loopback up. */
  public static Netns create(String name) throws KilnException {
    if (!name.matches("[a-z0-9-]{1,40}")) {
      throw new KilnException("bad namespace name " + name);
    }
    Procs.check(List.of("ip", "netns", "add", name), T);
    Netns ns = new Netns(name);
    try {
      Procs.check(List.of("ip", "-n", name, "link", "set", "lo", "up"), T);
    } catch (KilnException e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  public String name() {
    return name;
  }

  /** The command prefixed with {@code ip netns exec NAME}. */
  public List<String> exec(List<String> cmd) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
    all.addAll(cmd);
    return all;
  }

  /** Runs a command inside the namespace to completion, failing on a non-zero exit. */
  public Procs.Result check(List<String> cmd) throws KilnException {
    return Procs.check(exec(cmd), T);
  }

  /**
   * Connects two namespaces with a veth pair created directly inside them; {@code aAddr} and {@code
   * bAddr} are CIDRs such as {@code 198.18.0.1/30} that exist only inside the namespaces.
   */
  public static void link(Netns a, String aIf, String aAddr, Netns b, String bIf, String bAddr)
      throws KilnException {
    Procs.check(
        List.of(
            "ip", "-n", a.name, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns",
            b.name),
        T);
    Procs.check(List.of("ip", "-n", a.name, "addr", "add", aAddr, "dev", aIf), T);
    Procs.check(List.of("ip", "-n", b.name, "addr", "add", bAddr, "dev", bIf), T);
    Procs.check(List.of("ip", "-n", a.name, "link", "set", aIf, "up"), T);
    Procs.check(List.of("ip", "-n", b.name, "link", "set", bIf, "up"), T);
  }

  /** Adds an address to the namespace's loopback (e.g. 169.254.169.254/32 for the IMDS). */
  public void addLoopbackAddress(String cidr) throws KilnException {
    Procs.check(List.of("ip", "-n", name, "addr", "add", cidr, "dev", "lo"), T);
  }

  /** PIDs of every process inside the namespace. */
  public List<Long> pids() {
    return pidsOf(name);
  }

  private static List<Long> pidsOf(String name) {
    List<Long> out = new ArrayList<>();
    try {
      Procs.Result r = Procs.run(List.of("ip", "netns", "pids", name), T, Map.of());
      for (String l : r.output().split("\\s+")) {
        if (l.matches("\\d+")) {
          out.add(Long.parseLong(l));
        }
      }
    } catch (KilnException e) {
      // namespace gone
    }
    return out;
  }

  /** Kills whatever is still inside (SIGKILL by PID) and deletes the namespace. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      destroy(name);
    }
  }

  static void destroy(String name) {
    for (int i = 0; i < 3; i++) {
      List<Long> pids = pidsOf(name);
      if (pids.isEmpty()) {
        break;
      }
      pids.forEach(p -> Procs.signal(p, "KILL"));
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    try {
      Procs.run(List.of("ip", "netns", "delete", name), T, Map.of());
    } catch (KilnException e) {
      // best effort
    }
  }

  /** Names of existing namespaces. */
  public static List<String> list() {
    List<String> out = new ArrayList<>();
    try (var s = Files.list(Path.of("/run/netns"))) {
      s.forEach(
          p ->
              out.add(
                  Objects.requireNonNull(p.getFileName(), "a listed file has a name").toString()));
    } catch (IOException e) {
      // none
    }
    return out;
  }
}
