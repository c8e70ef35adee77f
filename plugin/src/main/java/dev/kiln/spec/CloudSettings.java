package dev.kiln.spec;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where goals reach a cloud, validated in one pass: {@code cloud}, the {@code <aws>} element and
 * the {@code <sandbox>} element. Null values mean "the default" (the SDK's chains, the user's cache
 * directory, the cloud chosen by the presence of AWS credentials).
 */
public record CloudSettings(
    String cloud, String awsProfile, String awsRegion, URI awsEndpoint, Path sandboxCacheDir) {

  private static final Pattern CLOUD = Pattern.compile("aws|sandbox");
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");
  private static final Pattern PROFILE = Pattern.compile("[A-Za-z0-9_.+=,@-]{1,64}");

  /**
   * Parses {@code raw} (paths without {@code kiln.}); relative directories against {@code base}.
   */
  public static CloudSettings parse(Map<String, String> raw, Path base)
      throws InvalidParametersException {
    Params p = new Params(raw);
    String cloud = p.matching("cloud", null, CLOUD, "aws or sandbox");
    String profile = p.matching("aws.profile", null, PROFILE, "an AWS profile name");
    String region = p.matching("aws.region", null, REGION, "an AWS region such as eu-west-1");
    String endpoint = p.url("aws.endpoint", null);
    String cache = p.string("sandbox.cacheDir", null);
    p.throwIfInvalid();
    return new CloudSettings(
        cloud,
        profile,
        region,
        endpoint == null ? null : URI.create(endpoint),
        cache == null ? null : base.resolve(cache).toAbsolutePath().normalize());
  }
}
