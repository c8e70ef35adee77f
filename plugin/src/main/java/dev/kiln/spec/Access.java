package dev.kiln.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

  static Access from(ParameterValues v) {
    List<Long> uids = v.longs("access.uidRange");
    return new Access(
        v.strings("access.iamGroups"),
        v.strings("access.sudoGroups"),
        v.strings("access.localGroups"),
        v.string("access.markerGroup"),
        v.string("access.iamEndpoint"),
        v.string("access.stsEndpoint"),
        v.string("access.metadataEndpoint"),
        v.string("access.region"),
        v.seconds("access.keyCacheTtl"),
        v.seconds("access.negativeCacheTtl"),
        v.seconds("access.deadline"),
        v.seconds("access.staleIfError"),
        v.seconds("access.syncInterval"),
        v.string("access.assumeRole"),
        Math.toIntExact(uids.get(0)),
        Math.toIntExact(uids.get(1)),
        v.integer("access.deleteAfterRuns"),
        v.bool("access.keepHome"),
        v.bool("access.groupsFromTags"));
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
