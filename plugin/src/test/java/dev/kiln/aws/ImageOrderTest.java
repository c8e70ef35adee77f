package dev.kiln.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Tag;

class ImageOrderTest {
  private static Image image(String id, String created, String bakedAt) {
    Image.Builder b = Image.builder().imageId(id).creationDate(created);
    if (bakedAt != null) {
      b.tags(Tag.builder().key(ImageCatalog.TAG_BAKED_AT).value(bakedAt).build());
    }
    return b.build();
  }

  @Test
  void bakeTimeOrdersImagesThatShareACreationDate() {
    String sameSecond = "2026-11-23T09:44:32.000Z";
    Image older =
        image(
            "ami-ffff",
            sameSecond,
            ImageCatalog.bakedAt(Instant.parse("2026-11-23T09:44:32.100Z")));
    Image newer =
        image(
            "ami-0000",
            sameSecond,
            ImageCatalog.bakedAt(Instant.parse("2026-11-23T09:44:32.900Z")));
    List<Image> list = new ArrayList<>(List.of(newer, older));
    list.sort(ImageCatalog.NEWEST);
    assertThat(list).extracting(Image::imageId).containsExactly("ami-ffff", "ami-0000");
  }

  @Test
  void creationDateWhenThereIsNoBakeTime() {
    Image a = image("ami-b", "2026-01-01T00:00:00.000Z", null);
    Image b = image("ami-a", "2026-02-01T00:00:00.000Z", null);
    List<Image> list = new ArrayList<>(List.of(b, a));
    list.sort(ImageCatalog.NEWEST);
    assertThat(list).extracting(Image::imageId).containsExactly("ami-b", "ami-a");
    assertThat(ImageCatalog.bakedAt(Instant.parse("2026-11-23T09:44:32Z")))
        .isEqualTo("2026-11-23T09:44:32.000Z");
  }
}
