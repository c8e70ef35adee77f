package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A builder instance of a {@link Sandbox} session and the address Packer's {@code ssh_host} uses:
 * its own namespace linked to the control namespace; Packer reaches it at {@code peerAddress:22}.
 */
public record SandboxBuilder(Instance instance, Sandbox.Link link, Netns namespace) {
  public String sshHost() {
    return link.peerAddress();
  }

  /** Stops the instance (keeping its upper directory) and deletes its namespace. */
  public void stop() {
    instance.close();
    namespace.close();
  }

  /** Starts a builder for {@code base} (plus optional lower image layers, topmost first). */
  public static SandboxBuilder start(
      Sandbox s, BaseRootfs base, List<Path> layers, List<String> authorizedKeys, String role)
      throws KilnException {
    return start(s, base, layers, authorizedKeys, role, Map.of());
  }

  /**
   * As above, with {@code planted} files (path relative to the root → content) written into the
   * builder's upper layer before it starts: they end up in the image as if the base had them.
   */
  public static SandboxBuilder start(
      Sandbox s,
      BaseRootfs base,
      List<Path> layers,
      List<String> authorizedKeys,
      String role,
      Map<String, String> planted)
      throws KilnException {
    Path upper = s.runDir().resolve(role).resolve("upper");
    try {
      for (Map.Entry<String, String> e : planted.entrySet()) {
        Path f = upper.resolve(e.getKey()).normalize();
        if (!f.startsWith(upper)) {
          throw new KilnException("a planted file must lie inside the root: " + e.getKey());
        }
        Files.createDirectories(
            Objects.requireNonNull(f.getParent(), "a planted file has a directory"));
        Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new KilnException("cannot plant files in the builder: " + e.getMessage(), e);
    }
    return s.locked(
        () -> {
          Netns ns = s.newNamespace(role);
          Sandbox.Link link = s.linkToControl(ns, role);
          List<Path> lowers = new ArrayList<>(layers);
          lowers.add(base.dir());
          Instance i =
              Instance.start(
                  s.ledger(),
                  Instance.Mode.BUILDER,
                  ns,
                  lowers,
                  s.runDir().resolve(role),
                  "kiln-sandbox",
                  authorizedKeys,
                  null,
                  base.repo());
          s.own(i);
          return new SandboxBuilder(i, link, ns);
        });
  }
}
