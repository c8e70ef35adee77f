package dev.kiln.bake;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bake key: sha256 over the bundle digest, the recipe id and source bytes, the resolved source
 * AMI id, the Packer template text and Kiln's version — each length-prefixed so no two inputs
 * collide by concatenation.
 */
public final class BakeKey {
  private BakeKey() {}

  public static String compute(
      String bundleDigest,
      String recipeId,
      byte[] recipeSource,
      String sourceAmi,
      String templateText,
      String kilnVersion) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      field(md, "kiln-bake-key/1".getBytes(StandardCharsets.UTF_8));
      field(md, bundleDigest.getBytes(StandardCharsets.UTF_8));
      field(md, recipeId.getBytes(StandardCharsets.UTF_8));
      field(md, recipeSource);
      field(md, sourceAmi.getBytes(StandardCharsets.UTF_8));
      field(md, templateText.getBytes(StandardCharsets.UTF_8));
      field(md, kilnVersion.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void field(MessageDigest md, byte[] b) {
    md.update(ByteBuffer.allocate(8).putLong(b.length).array());
    md.update(b);
  }
}
