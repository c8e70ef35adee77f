package dev.kiln.maven;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.InvalidParametersException;
import dev.kiln.spec.KilnException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AbstractKilnMojoTest {
  @Test
  void namesTheXmlElementAndTheProperty() {
    var e =
        new InvalidParametersException(
            List.of(
                new InvalidParametersException.Problem(
                    "hardening.maxAuthTries", "abc", "a whole number from 1 to 6")));
    assertThat(AbstractKilnMojo.describe(e))
        .isEqualTo(
            "Invalid parameter: <hardening><maxAuthTries> (-Dkiln.hardening.maxAuthTries) is"
                + " 'abc', expected a whole number from 1 to 6");
  }

  @Test
  void listsEveryProblemAndDetail() {
    var e =
        new InvalidParametersException(
            List.of(
                new InvalidParametersException.Problem("recipes", "x", "ids"),
                new InvalidParametersException.Problem("access.uidRange", "1-2", "MIN-MAX")));
    assertThat(AbstractKilnMojo.describe(e))
        .isEqualTo(
            "Invalid parameters:\n  - <recipes> (-Dkiln.recipes) is 'x', expected ids\n"
                + "  - <access><uidRange> (-Dkiln.access.uidRange) is '1-2', expected MIN-MAX");
    assertThat(AbstractKilnMojo.describe(new KilnException("2 findings", List.of("a", "b"))))
        .isEqualTo("2 findings\n  - a\n  - b");
  }
}
