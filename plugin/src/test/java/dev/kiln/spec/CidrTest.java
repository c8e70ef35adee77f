package dev.kiln.spec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CidrTest {
  @Test
  void parsesNetworksNotStrings() {
    assertThat(Cidr.parse("203.0.113.0/24")).isNotNull();
    assertThat(Cidr.parse("2001:db8::/32")).isNotNull();
    assertThat(Cidr.parse("256.0.0.0/8")).isNull();
    assertThat(Cidr.parse("10.0.0.0")).isNull();
    assertThat(Cidr.parse("example.com/24")).isNull();
    assertThat(Cidr.parse("2001:db8::1::/64")).isNull();
    assertThat(Cidr.parse("1.2.3.4/+8")).isNull();
    assertThat(Cidr.parse("1.2.3.4/\u0668")).isNull();
    assertThat(Cidr.parse("0.0.0.0/00")).isNull();
    // Every spelling of the whole Internet is one network, and too wide.
    for (String world : new String[] {"0.0.0.0/0", "::/0", "::0/0", "0:0:0:0:0:0:0:0/0"}) {
      assertThat(Cidr.parse(world).tooWide()).as(world).isNotNull();
    }
    assertThat(Cidr.parse("0.0.0.0/1").tooWide()).isNotNull();
    assertThat(Cidr.parse("128.0.0.0/1").tooWide()).isNotNull();
    assertThat(Cidr.parse("10.0.0.0/0").hasHostBits()).isTrue();
    assertThat(Cidr.parse("10.0.0.0/8").tooWide()).isNull();
    assertThat(Cidr.parse("2001:db8::/32").tooWide()).isNull();
    assertThat(Cidr.parse("::ffff:0:0/96").tooWide()).isNotNull();
    assertThat(Cidr.parse("203.0.113.7/24").hasHostBits()).isTrue();
    assertThat(Cidr.parse("2001:db8::1/64").hasHostBits()).isTrue();
    assertThat(Cidr.parse("2001:db8:0:1::/64").hasHostBits()).isFalse();
  }
}
