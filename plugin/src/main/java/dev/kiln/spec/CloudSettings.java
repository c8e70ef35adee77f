package dev.kiln.spec;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where goals reach a cloud: {@code cloud}, the {@code <aws>} element and the {@code <sandbox>}
 * element. Null values mean "the default" (the SDK's chains, the user's cache directory, the cloud
 * chosen by the presence of AWS credentials).
 */
public record CloudSettings(
    String cloud, String awsProfile, String awsRegion, URI awsEndpoint, Path sandboxCacheDir) {

  /** The clouds {@code kiln.cloud} may name ({@code dev.kiln.cloud.Clouds} chooses by it). */
  public static final List<String> NAMES = List.of("aws", "sandbox");

  /** These settings naming {@code name} as the cloud. */
  public CloudSettings withCloud(String name) {
    return new CloudSettings(name, awsProfile, awsRegion, awsEndpoint, sandboxCacheDir);
  }

  /** These settings, the cloud {@code recorded} when none is set (launch: bake.json's). */
  public CloudSettings orCloud(String recorded) {
    return cloud != null && !cloud.isBlank() ? this : withCloud(recorded);
  }

  /**
   * Parses {@code raw} (paths without {@code kiln.}); relative directories against {@code base}.
   */
  public static CloudSettings parse(Map<String, String> raw, Path base)
      throws InvalidParametersException {
    return from(ParameterValues.parse(raw, base));
  }

  /** The cloud settings of values already validated. */
  public static CloudSettings from(ParameterValues v) {
    String endpoint = v.string("aws.endpoint");
    return new CloudSettings(
        v.string("cloud"),
        v.string("aws.profile"),
        v.string("aws.region"),
        endpoint == null ? null : URI.create(endpoint),
        v.path("sandbox.cacheDir"));
  }
}
