package dev.kiln.cloud;

import dev.kiln.aws.AwsSettings;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.net.URI;
import java.nio.file.Path;
import java.util.function.Predicate;

/** Chooses the cloud: the one place that reads its name. */
public final class Clouds {
  public static final String AWS = "aws";
  public static final String SANDBOX = "sandbox";
  static final String DEFAULT_REGION = "us-east-1";

  private Clouds() {}

  /**
   * The cloud {@code s} names; unset: {@code aws} when AWS credentials are configured, else {@code
   * sandbox}.
   */
  public static Cloud choose(CloudSettings s) throws KilnException {
    return choose(s, Clouds::credentialsConfigured);
  }

  static Cloud choose(CloudSettings s, Predicate<CloudSettings> hasCredentials)
      throws KilnException {
    String name = s.cloud() == null || s.cloud().isBlank() ? null : s.cloud().trim();
    if (name == null) {
      name = hasCredentials.test(s) ? AWS : SANDBOX;
    }
    return switch (name) {
      case AWS ->
          new AwsCloud(
              s.withCloud(AWS),
              new AwsSettings(s.awsProfile(), s.awsRegion(), s.awsEndpoint(), null, null));
      case SANDBOX -> {
        Path cache =
            s.sandboxCacheDir() != null ? s.sandboxCacheDir() : SandboxSettings.defaultCacheDir();
        String region = s.awsRegion() != null ? s.awsRegion() : DEFAULT_REGION;
        yield new SandboxCloud(s.withCloud(SANDBOX), cache, region, null);
      }
      default ->
          throw KilnException.badParameter("cloud", name, String.join(" or ", CloudSettings.NAMES));
    };
  }

  /** The cloud a candidate was launched in, from its record. */
  public static Cloud of(Candidate c) throws KilnException {
    if (c.cloud() == null) {
      throw new KilnException("the candidate record names no cloud: " + c);
    }
    Candidate.Aws a = c.aws();
    return choose(
        new CloudSettings(
            c.cloud(),
            a == null ? null : a.profile(),
            a == null ? null : a.region(),
            a == null || a.endpoint() == null ? null : URI.create(a.endpoint()),
            c.sandboxCacheDir() == null ? null : Path.of(c.sandboxCacheDir())));
  }

  private static boolean credentialsConfigured(CloudSettings s) {
    return AwsSettings.credentialsConfigured(
        System.getenv(), Path.of(System.getProperty("user.home")));
  }
}
