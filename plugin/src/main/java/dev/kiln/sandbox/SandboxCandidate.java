package dev.kiln.sandbox;

import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.util.List;

/**
 * A candidate booted inside a {@link Sandbox} session (closed with it): its instance, link,
 * metadata endpoint and the emulator URL from inside. Launch and verify use {@link
 * CandidateSandbox} instead, which outlives the JVM.
 */
public record SandboxCandidate(
    Instance instance, Sandbox.Link link, Imds imds, String emulatorUrl) {
  /**
   * Boots a candidate from a stored image: a fresh overlay of base + image layer in its own
   * namespaces, linked to the control namespace (the emulator is at {@code
   * http://<controlAddress>:5000} from inside), an IMDS on 169.254.169.254 with role {@code role},
   * and {@code bootCommands} run before sshd. Reach it from {@link Sandbox#newNamespace} "attacker"
   * namespaces linked with {@link Netns#link}.
   */
  public static SandboxCandidate boot(
      Sandbox s, String amiId, String role, String iamRole, String bootCommands)
      throws KilnException {
    return s.locked(
        () -> {
          ImageStore.Entry e =
              s.images()
                  .get(amiId)
                  .orElseThrow(() -> new KilnException("no sandbox image " + amiId));
          Netns ns = s.newNamespace(role);
          Sandbox.Link link = s.linkToControl(ns, role);
          Imds imds =
              Imds.start(
                  s.ledger(),
                  ns,
                  s.runDir().resolve(role + "-imds.log"),
                  s.region(),
                  iamRole,
                  "i-" + s.runShort() + role);
          s.own(imds);
          Instance i =
              Instance.start(
                  s.ledger(),
                  Instance.Mode.CANDIDATE,
                  ns,
                  List.of(s.images().layer(amiId), Path.of(e.base())),
                  s.runDir().resolve(role),
                  "kiln-" + role,
                  List.of(),
                  bootCommands);
          s.own(i);
          return new SandboxCandidate(
              i, link, imds, "http://" + link.controlAddress() + ":" + Emulator.PORT);
        });
  }
}
