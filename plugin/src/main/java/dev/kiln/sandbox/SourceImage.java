package dev.kiln.sandbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** A synthetic source image standing in for a recipe's real base image. */
public record SourceImage(String id, String name, String ownerId, String architecture) {
  /** The image a recipe's base-image filter (first owner, name pattern) resolves to. */
  public static SourceImage forFilter(
      List<String> owners, String namePattern, String architecture) {
    String owner = owners.isEmpty() ? "137112412989" : owners.get(0);
    if (!owner.matches("\\d{12}")) {
      owner = "137112412989"; // an alias such as "amazon": moto aliases every catalogue image so
    }
    String name = namePattern.replace("*", "20250101-kiln-sandbox").replace("?", "0");
    String arch = architecture == null || architecture.isBlank() ? "x86_64" : architecture;
    return new SourceImage(
        "ami-" + sha256(name + "|" + owner + "|" + arch).substring(0, 17), name, owner, arch);
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
