package dev.kiln.bake;

import dev.kiln.spec.CloudSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything one bake needs, as plain values.
 *
 * @param outputDir {@code target/kiln}: rendered bundles are {@code <outputDir>/<recipe>/}, {@code
 *     bake.json} is written here
 * @param recipes recipe ids to bake (their bundles must be rendered)
 * @param cloud {@code aws} or {@code sandbox}
 * @param kilnVersion part of the bake key and the {@code kiln:version} tag
 * @param runId the {@code kiln:run-id} tag; null generates one
 * @param force rebake even when an image with the bake key exists
 * @param regions further regions to copy the image to
 * @param encryptBoot encrypted boot volume
 * @param launchPermissions account ids allowed to launch the image
 * @param instanceType Packer's instance type; null for the template's default
 * @param packerExecutable {@code <packer><executable>}; null: PATH
 * @param packerTimeout how long one Packer build may take
 * @param awsProfile, awsRegion, awsEndpoint {@code <aws>} settings; null: SDK defaults
 * @param sandboxCacheDir null: {@code $XDG_CACHE_HOME/kiln} or {@code ~/.cache/kiln}
 * @param projectCoordinates {@code groupId:artifactId:version} for the {@code kiln:project} tag
 * @param gitDir a directory inside the project's git work tree (for {@code kiln:git-commit}); null
 *     for none
 * @param extraVars further Packer {@code -var} values (they win over Kiln's)
 */
public record BakeRequest(
    Path outputDir,
    List<String> recipes,
    String cloud,
    String kilnVersion,
    String runId,
    boolean force,
    List<String> regions,
    boolean encryptBoot,
    List<String> launchPermissions,
    String instanceType,
    String packerExecutable,
    Duration packerTimeout,
    String awsProfile,
    String awsRegion,
    URI awsEndpoint,
    Path sandboxCacheDir,
    String projectCoordinates,
    Path gitDir,
    Map<String, String> extraVars) {

  /** Where to bake. */
  public CloudSettings cloudSettings() {
    return new CloudSettings(cloud, awsProfile, awsRegion, awsEndpoint, sandboxCacheDir);
  }

  public BakeRequest {
    recipes = List.copyOf(recipes);
    regions = regions == null ? List.of() : List.copyOf(regions);
    launchPermissions = launchPermissions == null ? List.of() : List.copyOf(launchPermissions);
    extraVars = extraVars == null ? Map.of() : Map.copyOf(extraVars);
    if (packerTimeout == null) {
      packerTimeout = Duration.ofMinutes(60);
    }
  }

  /** A request with defaults for everything but the essentials. */
  public static BakeRequest of(
      Path outputDir, List<String> recipes, String cloud, String kilnVersion) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        null,
        false,
        List.of(),
        false,
        List.of(),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        Map.of());
  }

  public BakeRequest withForce(boolean f) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        runId,
        f,
        regions,
        encryptBoot,
        launchPermissions,
        instanceType,
        packerExecutable,
        packerTimeout,
        awsProfile,
        awsRegion,
        awsEndpoint,
        sandboxCacheDir,
        projectCoordinates,
        gitDir,
        extraVars);
  }

  public BakeRequest withRegions(List<String> r) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        runId,
        force,
        r,
        encryptBoot,
        launchPermissions,
        instanceType,
        packerExecutable,
        packerTimeout,
        awsProfile,
        awsRegion,
        awsEndpoint,
        sandboxCacheDir,
        projectCoordinates,
        gitDir,
        extraVars);
  }

  public BakeRequest withAws(String profile, String region, URI endpoint) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        runId,
        force,
        regions,
        encryptBoot,
        launchPermissions,
        instanceType,
        packerExecutable,
        packerTimeout,
        profile,
        region,
        endpoint,
        sandboxCacheDir,
        projectCoordinates,
        gitDir,
        extraVars);
  }

  public BakeRequest withSandboxCacheDir(Path dir) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        runId,
        force,
        regions,
        encryptBoot,
        launchPermissions,
        instanceType,
        packerExecutable,
        packerTimeout,
        awsProfile,
        awsRegion,
        awsEndpoint,
        dir,
        projectCoordinates,
        gitDir,
        extraVars);
  }

  public BakeRequest withExtraVars(Map<String, String> vars) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        runId,
        force,
        regions,
        encryptBoot,
        launchPermissions,
        instanceType,
        packerExecutable,
        packerTimeout,
        awsProfile,
        awsRegion,
        awsEndpoint,
        sandboxCacheDir,
        projectCoordinates,
        gitDir,
        vars);
  }

  public BakeRequest withPackerTimeout(Duration t) {
    return new BakeRequest(
        outputDir,
        recipes,
        cloud,
        kilnVersion,
        runId,
        force,
        regions,
        encryptBoot,
        launchPermissions,
        instanceType,
        packerExecutable,
        t,
        awsProfile,
        awsRegion,
        awsEndpoint,
        sandboxCacheDir,
        projectCoordinates,
        gitDir,
        extraVars);
  }
}
