package dev.kiln.launch;

import dev.kiln.cloud.Clouds;
import dev.kiln.spec.CloudSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@code kiln:launch} needs, as plain values.
 *
 * @param outputDir {@code target/kiln}: {@code bake.json} is read and {@code instance.json} /
 *     {@code instance.properties} are written here
 * @param cloud {@code aws} or {@code sandbox}; null: the cloud recorded in {@code bake.json}, else
 *     the default
 * @param amiId the image; null: {@code bake.json}'s {@code amiId}
 * @param trustedCidrs {@code <hardening><trustedCidrs>}: the only sources the security group admits
 * @param allowWorld {@code <launch><allowWorld>}: permits 0.0.0.0/0 and ::/0
 * @param timeout how long to wait for the SSH banner
 * @param keep {@code -Dkiln.keep}: no shutdown hook, the candidate outlives the build
 * @param runId the {@code kiln:run-id} tag; null generates one
 * @param port the SSH port of the image ({@code <hardening><port>})
 * @param instanceType AWS only; null: t3.micro
 * @param subnetId AWS only; null: the default VPC's
 * @param instanceProfile AWS only: the instance profile whose role may read IAM SSH keys
 * @param awsProfile, awsRegion, awsEndpoint {@code <aws>}; null: SDK defaults
 * @param sandboxCacheDir null: the default cache directory
 */
public record LaunchRequest(
    Path outputDir,
    String cloud,
    String amiId,
    List<String> trustedCidrs,
    boolean allowWorld,
    Duration timeout,
    boolean keep,
    String runId,
    int port,
    String instanceType,
    String subnetId,
    String instanceProfile,
    String awsProfile,
    String awsRegion,
    URI awsEndpoint,
    Path sandboxCacheDir) {

  /** Where to launch; the cloud may be unset (then bake.json's, else the default). */
  public CloudSettings cloudSettings() {
    return new CloudSettings(cloud, awsProfile, awsRegion, awsEndpoint, sandboxCacheDir);
  }

  public LaunchRequest {
    trustedCidrs = trustedCidrs == null ? List.of() : List.copyOf(trustedCidrs);
    if (timeout == null) {
      timeout = Duration.ofMinutes(5);
    }
    if (port == 0) {
      port = 22;
    }
  }

  /** The same request for another image. */
  public LaunchRequest withAmiId(String ami) {
    return new LaunchRequest(
        outputDir,
        cloud,
        ami,
        trustedCidrs,
        allowWorld,
        timeout,
        keep,
        runId,
        port,
        instanceType,
        subnetId,
        instanceProfile,
        awsProfile,
        awsRegion,
        awsEndpoint,
        sandboxCacheDir);
  }

  /** A sandbox request with defaults. */
  public static LaunchRequest sandbox(Path outputDir, String amiId, Path cacheDir) {
    return new LaunchRequest(
        outputDir,
        Clouds.SANDBOX,
        amiId,
        List.of(),
        false,
        Duration.ofSeconds(60),
        false,
        null,
        22,
        null,
        null,
        null,
        null,
        null,
        null,
        cacheDir);
  }
}
