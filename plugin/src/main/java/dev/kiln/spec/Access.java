package dev.kiln.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The {@code <access>} element, validated; its map is {@code /etc/kiln/access.json}. */
public record Access(
    List<String> iamGroups,
    List<String> sudoGroups,
    List<String> localGroups,
    String markerGroup,
    String iamEndpoint,
    String stsEndpoint,
    String metadataEndpoint,
    String region,
    long keyCacheTtl,
    long negativeCacheTtl,
    long deadline,
    long staleIfError,
    long syncInterval,
    String assumeRole,
    int uidMin,
    int uidMax,
    int deleteAfterRuns,
    boolean keepHome,
    boolean groupsFromTags) {

  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");
  private static final Pattern UID_RANGE = Pattern.compile("(\\d{4,10})-(\\d{4,10})");

  /** Key types the key command prints; DSA and anything unknown are refused. */
  public static final List<String> ALLOWED_KEY_TYPES =
      List.of(
          "ssh-ed25519",
          "ecdsa-sha2-nistp256",
          "ecdsa-sha2-nistp384",
          "ecdsa-sha2-nistp521",
          "sk-ssh-ed25519@openssh.com",
          "sk-ecdsa-sha2-nistp256@openssh.com",
          "ssh-rsa");

  static Access from(Params p) {
    // Safe default: one named group, never "everyone in the account"; '*' asks for everyone.
    List<String> iamGroups =
        "*".equals(p.raw("access.iamGroups"))
            ? List.of()
            : p.iamGroups("access.iamGroups", List.of("ssh-admins"));
    int[] uids = uidRange(p);
    return new Access(
        iamGroups,
        p.iamGroups("access.sudoGroups", List.of()),
        p.localNames("access.localGroups", List.of()),
        p.matching(
            "access.markerGroup",
            "kiln-iam",
            Pattern.compile("[a-z_][a-z0-9_-]{0,31}"),
            "a Linux group name ([a-z_][a-z0-9_-]*, at most 32 characters)"),
        p.url("access.iamEndpoint", "https://iam.amazonaws.com"),
        p.url("access.stsEndpoint", "https://sts.amazonaws.com"),
        p.url("access.metadataEndpoint", "http://169.254.169.254"),
        p.matching("access.region", "us-east-1", REGION, "an AWS region such as eu-west-1"),
        p.seconds("access.keyCacheTtl", 60, 0, 3600),
        p.seconds("access.negativeCacheTtl", 300, 0, 86400),
        p.seconds("access.deadline", 3, 1, 20),
        p.seconds("access.staleIfError", 0, 0, 86400),
        p.seconds("access.syncInterval", 600, 60, 86400),
        p.roleArn("access.assumeRole"),
        uids[0],
        uids[1],
        p.integer("access.deleteAfterRuns", 3, 1, 100),
        p.bool("access.keepHome", true),
        p.bool("access.groupsFromTags", false));
  }

  private static int[] uidRange(Params p) {
    String v = p.raw("access.uidRange");
    int[] dflt = {200000, 299999};
    if (v == null) {
      return dflt;
    }
    var m = UID_RANGE.matcher(v);
    if (m.matches()) {
      long lo = Long.parseLong(m.group(1));
      long hi = Long.parseLong(m.group(2));
      if (lo >= 1000 && hi <= 2_000_000_000L && hi - lo >= 999) {
        return new int[] {(int) lo, (int) hi};
      }
    }
    p.problem(
        "access.uidRange",
        v,
        "MIN-MAX with 1000 <= MIN, MAX <= 2000000000 and at least 1000 UIDs (e.g. 200000-299999)");
    return dflt;
  }

  /** The content of {@code /etc/kiln/access.json} (contracts.md); keys sorted on output. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("allowedKeyTypes", ALLOWED_KEY_TYPES);
    m.put("assumeRole", assumeRole);
    m.put("cacheDir", "/var/cache/kiln/keys");
    m.put("deadline", deadline);
    m.put("deleteAfterRuns", deleteAfterRuns);
    m.put("groupsFromTags", groupsFromTags);
    m.put("iamEndpoint", iamEndpoint);
    m.put("iamGroups", iamGroups);
    m.put("keepHome", keepHome);
    m.put("keyCacheTtl", keyCacheTtl);
    m.put("localGroups", localGroups);
    m.put("markerGroup", markerGroup);
    m.put("metadataEndpoint", metadataEndpoint);
    m.put("negativeCacheTtl", negativeCacheTtl);
    m.put("region", region);
    m.put("staleIfError", staleIfError);
    m.put("stateDir", "/var/lib/kiln");
    m.put("stsEndpoint", stsEndpoint);
    m.put("sudoGroups", sudoGroups);
    m.put("syncInterval", syncInterval);
    m.put("uidRange", List.of(uidMin, uidMax));
    return m;
  }
}
