package dev.kiln.cloud;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.bake.BakeLog;
import dev.kiln.bake.RecipeBundle;
import dev.kiln.check.HostileFiles;
import dev.kiln.exec.SshKeygen;
import dev.kiln.packer.PackerBuild;
import dev.kiln.sandbox.BaseRootfs;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.ImageStore;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.sandbox.SandboxBuilder;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ResourceType;

/**
 * Bakes in the local sandbox: Packer runs inside the control namespace against the emulator and
 * provisions a builder instance (overlay of the recipe's base root filesystem); its upper layer
 * becomes the registered AMI's image layer.
 *
 * <p>The layer waits in the session's run directory until the bake tags the image with its bake key
 * ({@link #tagged}): only then does it enter the {@link ImageStore}, with every tag, in one step.
 * An interrupted bake leaves nothing in the store; its run directory goes with the session (or with
 * the next run's sweep after a SIGKILL).
 */
final class SandboxBakeSession implements BakeSession {
  private final Sandbox sandbox;
  private final boolean ownsSandbox;
  private final AwsClients clients;
  private final Map<String, Ec2Client> ec2 = new HashMap<>();
  private final Map<String, SandboxBuilder> builders = new HashMap<>();
  private final Map<String, String> keyPairs = new HashMap<>();
  private final Map<String, BaseRootfs> bases = new HashMap<>();

  /** A built image whose layer waits (in the builder's directory) for its bake key. */
  private record Staged(String recipe, ImageStore.Entry entry, SandboxBuilder builder) {}

  /** A copy to another region: it shares its source's layer. */
  private record Copy(String sourceId, ImageStore.Entry entry) {}

  private final Map<String, Staged> staged = new HashMap<>();
  private final Map<String, Copy> copies = new HashMap<>();
  private final Map<String, List<ImageStore.Entry>> waitingCopies = new HashMap<>();
  private final AutoCloseable lease;
  private final BakeLog log;
  private int builderCount;

  SandboxBakeSession(Sandbox sandbox, boolean owns, BakeLog log) {
    this.sandbox = sandbox;
    this.ownsSandbox = owns;
    this.log = log;
    // the session's shutdown hook waits for this bake to clean up while the emulator still runs
    this.lease = sandbox.lease();
    this.clients =
        new AwsClients(
            new AwsSettings(
                null,
                sandbox.region(),
                sandbox.emulator().hostEndpoint(),
                Emulator.ACCESS_KEY_ID,
                Emulator.SECRET_ACCESS_KEY));
  }

  @Override
  public String primaryRegion() {
    return sandbox.region();
  }

  @Override
  public synchronized ImageCatalog catalog(String region) {
    return new ImageCatalog(ec2.computeIfAbsent(region, clients::ec2), region);
  }

  @Override
  public void check(RecipeBundle b) throws KilnException {
    requireSandboxRecipe(b);
  }

  /** The sandbox bakes only recipes whose {@code sandbox} section names a Debian suite. */
  static void requireSandboxRecipe(RecipeBundle b) throws KilnException {
    if (!b.sandbox()) {
      throw new KilnException(
          "recipes",
          "the sandbox cloud can bake only recipes with a 'sandbox' section (the Debian suite it"
              + " debootstraps, as debian-12 and debian-13 have), not "
              + b.id()
              + "; its bundle was rendered and validated. Choose sandbox recipes with"
              + " -Dkiln.recipes=debian-12,debian-13 (or <recipes>), or bake on AWS with"
              + " -Dkiln.cloud=aws",
          List.of(),
          null);
    }
  }

  private BaseRootfs base(RecipeBundle b) throws KilnException {
    BaseRootfs base =
        bases.computeIfAbsent(
            b.id(),
            id ->
                new BaseRootfs(
                    sandbox.cacheDir(),
                    id,
                    b.suite(),
                    b.loginUser(),
                    b.basePackages(),
                    b.upgradePackages(),
                    b.packages()));
    base.ensure(log::info);
    return base;
  }

  @Override
  public void prepare(RecipeBundle b, String runId, PackerBuild build) throws KilnException {
    BaseRootfs base = base(b);
    Path keys = sandbox.runDir().resolve("keys-" + b.id());
    Path key = keys.resolve("id_ed25519");
    String pub;
    try {
      Files.createDirectories(keys);
      Files.deleteIfExists(key);
      Files.deleteIfExists(keys.resolve("id_ed25519.pub"));
      SshKeygen.newEd25519("kiln-" + runId, key);
      pub = Files.readString(keys.resolve("id_ed25519.pub")).strip();
    } catch (IOException e) {
      throw new KilnException("cannot create the builder key: " + e.getMessage(), e);
    }
    String keyName = "kiln-" + sandbox.runShort() + "-" + b.id();
    try {
      catalog(primaryRegion())
          .ec2()
          .importKeyPair(
              r ->
                  r.keyName(keyName)
                      .publicKeyMaterial(SdkBytes.fromUtf8String(pub))
                      .tagSpecifications(
                          t ->
                              t.resourceType(ResourceType.KEY_PAIR)
                                  .tags(x -> x.key(ImageCatalog.TAG_RUN_ID).value(runId))));
    } catch (SdkException e) {
      throw new KilnException(
          "cannot import the builder key into the emulator: " + e.getMessage(), e);
    }
    keyPairs.put(b.id(), keyName);
    // What real images ship that claims sshd's key slot, as if the base had it: every sandbox
    // image must prove that Kiln keeps the slot anyway (HostileFiles).
    Map<String, String> planted =
        HostileFiles.planted(b.sshd("configDir", "/etc/ssh/sshd_config.d"), b.sshd("unit", "ssh"));
    SandboxBuilder builder =
        SandboxBuilder.start(
            sandbox,
            base,
            List.of(),
            List.of(pub),
            "b" + (++builderCount) + "-" + b.id().replaceAll("[^a-z0-9]", ""),
            planted);
    builders.put(b.id(), builder);
    build
        // recorded in the session's ledger before it runs: a Packer orphaned by a killed JVM is
        // stopped by the next run's sweep
        .prefix(sandbox.track("packer-" + b.id(), sandbox.control().exec(List.of())))
        .var("region", primaryRegion())
        .var("custom_endpoint_ec2", sandbox.emulator().namespaceEndpoint())
        .var("ssh_host", builder.sshHost())
        .var("ssh_port", "22")
        .var("ssh_keypair_name", keyName)
        .var("ssh_private_key_file", key.toString())
        .var("ssh_timeout", "60s")
        // the builder reaches the base's package repository (BaseRootfs), so provision.sh runs
        // its online path: apt-get update, the openssh-server upgrade, the installs
        .var("offline", "false")
        .var("polling_delay_seconds", "1")
        .var("polling_max_attempts", "60")
        .env("AWS_ACCESS_KEY_ID", Emulator.ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", Emulator.SECRET_ACCESS_KEY)
        .env("AWS_REGION", primaryRegion())
        .env("AWS_EC2_METADATA_DISABLED", "true");
  }

  @Override
  public synchronized void built(RecipeBundle b, String amiId, String sourceAmi, String name)
      throws KilnException {
    requireRunning(amiId);
    SandboxBuilder builder = builders.remove(b.id());
    deleteKeyPair(b);
    if (builder == null) {
      return;
    }
    builder.stop();
    staged.put(
        amiId,
        new Staged(
            b.id(),
            new ImageStore.Entry(
                amiId,
                name,
                primaryRegion(),
                b.architecture(),
                sourceAmi,
                bases.get(b.id()).dir().toString(),
                Map.of(ImageCatalog.TAG_RECIPE, b.id())),
            builder));
  }

  @Override
  public synchronized void failed(RecipeBundle b) {
    SandboxBuilder builder = builders.remove(b.id());
    if (builder != null) {
      builder.stop();
      builder.instance().discard();
    }
    staged
        .values()
        .removeIf(
            s -> {
              if (s.recipe().equals(b.id())) {
                s.builder().instance().discard();
                waitingCopies.remove(s.entry().id());
                return true;
              }
              return false;
            });
    deleteKeyPair(b);
  }

  private void deleteKeyPair(RecipeBundle b) {
    String name = keyPairs.remove(b.id());
    if (name != null) {
      try {
        catalog(primaryRegion()).ec2().deleteKeyPair(r -> r.keyName(name));
      } catch (SdkException e) {
        log.warn("could not delete the builder key pair " + name + ": " + e.getMessage());
      }
    }
  }

  @Override
  public synchronized void copied(String amiId, String copyId, String region, String name)
      throws KilnException {
    Staged s = staged.get(amiId);
    var e = s != null ? java.util.Optional.of(s.entry()) : sandbox.images().get(amiId);
    if (e.isPresent()) {
      var src = e.get();
      copies.put(
          copyId,
          new Copy(
              amiId,
              new ImageStore.Entry(
                  copyId,
                  name,
                  region,
                  src.architecture(),
                  src.sourceAmi(),
                  src.base(),
                  src.tags())));
    }
  }

  /**
   * The bake tagged {@code amiId} complete (bake key last): a staged image enters the store now,
   * with these tags, and the copies waiting for it after it; an image already stored gets the tags.
   */
  @Override
  public synchronized void tagged(String amiId, Map<String, String> tags) throws KilnException {
    requireRunning(amiId);
    Staged s = staged.remove(amiId);
    Copy c = copies.remove(amiId);
    if (s != null) {
      sandbox.images().add(withTags(s.entry(), tags), s.builder().instance().upper());
      s.builder().instance().discard();
      for (ImageStore.Entry copy : waitingCopies.getOrDefault(amiId, List.of())) {
        sandbox.images().alias(copy, amiId);
      }
      waitingCopies.remove(amiId);
    } else if (c != null && staged.containsKey(c.sourceId())) {
      // the source's own bake key comes after its copies': enter together with it
      waitingCopies
          .computeIfAbsent(c.sourceId(), k -> new java.util.ArrayList<>())
          .add(withTags(c.entry(), tags));
    } else if (c != null) {
      sandbox.images().alias(withTags(c.entry(), tags), c.sourceId());
    } else {
      sandbox.images().tag(amiId, tags);
    }
  }

  /** Interrupted (SIGINT, SIGTERM): the bake fails and cleans up; nothing enters the store. */
  private void requireRunning(String amiId) throws KilnException {
    if (sandbox.stopping()) {
      throw new KilnException(
          "interrupted: " + amiId + " is not stored; the bake cleans up and stops");
    }
  }

  private static ImageStore.Entry withTags(ImageStore.Entry e, Map<String, String> tags) {
    Map<String, String> all = new java.util.LinkedHashMap<>(e.tags());
    all.putAll(tags);
    return new ImageStore.Entry(
        e.id(), e.name(), e.region(), e.architecture(), e.sourceAmi(), e.base(), all);
  }

  @Override
  public boolean tolerateImdsUnsupported() {
    return true;
  }

  @Override
  public synchronized void close() {
    builders
        .values()
        .forEach(
            x -> {
              x.stop();
              x.instance().discard();
            });
    builders.clear();
    // never entered the store: the bake did not finish
    staged.values().forEach(s -> s.builder().instance().discard());
    staged.clear();
    ec2.values().forEach(Ec2Client::close);
    clients.close();
    try {
      lease.close();
    } catch (Exception e) {
      log.warn("sandbox lease: " + e.getMessage());
    }
    if (ownsSandbox) {
      sandbox.close();
    }
  }
}
