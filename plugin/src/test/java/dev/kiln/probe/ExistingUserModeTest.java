package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.probe.Control.Outcome;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How verify probes a candidate outside the sandbox (AWS): as one existing IAM user with its key
 * file, through a plain host:port, with no IAM changes. Exercised against a sandbox candidate
 * reached as a plain host (127.0.0.1 and its user port), the existing user created beforehand as an
 * operator would have, and that source ignored by fail2ban as a trusted CIDR would be.
 */
class ExistingUserModeTest {
  @TempDir Path tmp;

  @Test
  void withoutIamUserTheErrorNamesVerifyIamUser() throws Exception {
    Path out = tmp.resolve("target/kiln");
    Files.createDirectories(out);
    Files.writeString(
        out.resolve(Launcher.RECORD),
        "{\"cloud\":\"aws\",\"state\":\"running\",\"instanceId\":\"i-1\",\"amiId\":\"ami-1\",\"host\":\"192.0.2.1\",\"port\":22}");
    KilnSpec spec =
        KilnSpec.parse(Map.of("recipes", "debian-12", "outputDir", out.toString()), tmp);
    new dev.kiln.render.Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
    assertThatThrownBy(() -> Verifier.verify(out, spec, l -> {}))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("<verify><iamUser>")
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("verify.iamUser"));
  }

  @Test
  void probesAsAnExistingUserWithoutChangingIam() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    Path out = tmp.resolve("target/kiln");
    KilnSpec spec = KilnSpec.parse(SandboxPipelineTest.config(out, null), tmp);
    String ami = SandboxPipelineTest.bake(spec);
    new Launcher()
        .launch(LaunchRequest.sandbox(out, ami, SandboxSettings.defaultCacheDir()), s -> {});
    CandidateState state = SandboxPipelineTest.stateOf(out);
    try (SandboxTarget sandbox = new SandboxTarget(state, SandboxSettings.defaultCacheDir())) {
      // What an operator has on AWS: an IAM user in a sudo group, its key file, a trusted network.
      Ssh.Key key = Ssh.newKey("kiln-ops");
      Path keyFile = tmp.resolve("kiln-ops");
      Files.write(keyFile, key.privateKey());
      var iam = sandbox.iam();
      iam.createGroup(r -> r.groupName("ssh-admins"));
      iam.createGroup(r -> r.groupName("ssh-users"));
      iam.createUser(r -> r.userName("kiln-ops"));
      iam.addUserToGroup(r -> r.userName("kiln-ops").groupName("ssh-admins"));
      iam.uploadSSHPublicKey(r -> r.userName("kiln-ops").sshPublicKeyBody(key.publicLine()));
      System.out.println(
          sandbox.rootExec("/usr/libexec/kiln/sync-users --config /etc/kiln/access.json 2>&1")
              .orElseThrow()[1]);
      sandbox.ignoreInFail2ban(sandbox.sourceAddress("user"), true);
      int usersBefore = iam.listUsers().users().size();

      ProbeSettings settings =
          Verifier.settings(spec, out, "debian-12")
              .withExistingUser("kiln-ops", Ssh.loadKey(keyFile));
      List<Control> cs;
      try (HostTarget host = new HostTarget("127.0.0.1", sandbox.port("user"))) {
        cs = new Prober(host, settings, System.out::println).run();
      }
      Map<String, Outcome> byId =
          cs.stream().collect(Collectors.toMap(Control::id, Control::outcome));
      assertThat(byId)
          .containsEntry("iam-key-login", Outcome.PASS)
          .containsEntry("sshd-effective-config", Outcome.PASS)
          .containsEntry("root-password-locked", Outcome.PASS)
          .containsEntry("root-login-refused", Outcome.PASS)
          .containsEntry("password-auth-refused", Outcome.PASS)
          .containsEntry("ssh-audit", Outcome.PASS)
          .containsEntry("sudo-group-only", Outcome.SKIPPED)
          .containsEntry("host-keys-unique", Outcome.SKIPPED)
          .containsEntry("iam-key-inactive", Outcome.SKIPPED)
          .containsEntry("iam-key-deleted", Outcome.SKIPPED)
          .containsEntry("iam-group-removal", Outcome.SKIPPED)
          .containsEntry("fail2ban-ban", Outcome.SKIPPED)
          // A real instance (HostTarget): Lynis is not baked in and not installed there.
          .containsEntry("lynis-ssh", Outcome.SKIPPED);
      assertThat(iam.listUsers().users()).hasSize(usersBefore);
      assertThat(iam.listSSHPublicKeys(r -> r.userName("kiln-ops")).sshPublicKeys())
          .singleElement()
          .satisfies(k -> assertThat(k.statusAsString()).isEqualTo("Active"));
    } finally {
      Launcher.terminate(out, s -> {});
    }
    assertThat(CandidateCleanup.leftovers(state)).isEmpty();
  }
}
