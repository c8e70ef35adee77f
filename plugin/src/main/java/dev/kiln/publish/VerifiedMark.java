package dev.kiln.publish;

import dev.kiln.cloud.Candidate;
import dev.kiln.cloud.Clouds;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Proof that an image passed {@code kiln:verify}: this build's JUnit report naming the image with
 * no failure, or the tag {@code kiln:verified = sha256:<digest of that report>} that verify puts on
 * the image (so a later build, or a rollback, can tell a verified image from any other).
 */
public final class VerifiedMark {
  /** The tag verify writes on a verified image. */
  public static final String TAG = "kiln:verified";

  /** The JUnit report file verify writes (see {@code probe.Report.JUNIT}). */
  public static final String REPORT = "TEST-kiln-hardening.xml";

  static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  private VerifiedMark() {}

  /** What a report says about an image. */
  record ReportFacts(String amiId, long failures, long errors, long tests, String digest) {}

  /** The report's digest: {@code sha256:} and the hex SHA-256 of the file's bytes. */
  public static String digest(Path report) throws KilnException {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(report));
      return "sha256:" + HexFormat.of().formatHex(d);
    } catch (IOException e) {
      throw new KilnException("cannot read the report " + report + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads the subject and counts of a report (no DTDs, no external entities). */
  static ReportFacts read(Path report) throws KilnException {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setExpandEntityReferences(false);
      Document doc = f.newDocumentBuilder().parse(report.toFile());
      Element suite = doc.getDocumentElement();
      String ami = null;
      NodeList props = suite.getElementsByTagName("property");
      for (int i = 0; i < props.getLength(); i++) {
        Element p = (Element) props.item(i);
        if ("kiln.ami.id".equals(p.getAttribute("name"))) {
          ami = p.getAttribute("value");
        }
      }
      return new ReportFacts(
          ami,
          number(suite.getAttribute("failures")),
          number(suite.getAttribute("errors")),
          number(suite.getAttribute("tests")),
          digest(report));
    } catch (IOException | SAXException | ParserConfigurationException | RuntimeException e) {
      throw new KilnException("cannot read the report " + report + ": " + e.getMessage(), e);
    }
  }

  private static long number(String s) {
    return s == null || s.isBlank() ? 0 : Long.parseLong(s.strip());
  }

  /**
   * How {@code amiId} is known to be verified, or a refusal: this build's report in {@code
   * reportDir} when it names the image (failures there refuse it), else the image's {@link #TAG}.
   */
  public static String require(Path reportDir, String amiId, Map<String, String> imageTags)
      throws KilnException {
    // One recipe: TEST-kiln-hardening.xml; several: TEST-kiln-hardening-<recipe>.xml each.
    for (Path report : reports(reportDir)) {
      ReportFacts r = read(report);
      if (amiId.equals(r.amiId())) {
        if (r.failures() > 0 || r.errors() > 0 || r.tests() == 0) {
          throw new KilnException(
              "refusing to publish "
                  + amiId
                  + ": this build's hardening report "
                  + report
                  + " has "
                  + r.failures()
                  + " failed control(s) of "
                  + r.tests());
        }
        return "this build's report " + report + " (" + r.digest() + ")";
      }
    }
    String tag = imageTags.get(TAG);
    if (tag != null && DIGEST.matcher(tag).matches()) {
      return "tag " + TAG + "=" + tag;
    }
    throw new KilnException(
        "refusing to publish "
            + amiId
            + ": it has not passed kiln:verify (no report for it in "
            + reportDir
            + (tag == null ? ", no " + TAG + " tag" : ", and its " + TAG + " tag is not a digest")
            + "). Run kiln:launch and kiln:verify on it first (mvn verify runs both).");
  }

  /** The JUnit reports of verify in {@code reportDir}, sorted. */
  static List<Path> reports(Path reportDir) throws KilnException {
    if (!Files.isDirectory(reportDir)) {
      return List.of();
    }
    try (var files = Files.list(reportDir)) {
      return files
          .filter(
              f -> {
                String n = String.valueOf(f.getFileName());
                return n.startsWith("TEST-kiln-hardening") && n.endsWith(".xml");
              })
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new KilnException("cannot list " + reportDir + ": " + e.getMessage(), e);
    }
  }

  /** Whether the image's tags say it passed verify. */
  public static boolean isVerified(Map<String, String> imageTags) {
    String tag = imageTags.get(TAG);
    return tag != null && DIGEST.matcher(tag).matches();
  }

  /** Writes {@link #TAG} on the image of the verified candidate, in the cloud it runs in. */
  public static void mark(Candidate candidate, Path report, Consumer<String> log)
      throws KilnException {
    String ami = candidate.amiId();
    String digest = digest(report);
    Clouds.of(candidate).tagImage(ami, Map.of(TAG, digest));
    log.accept("Tagged " + ami + " " + TAG + "=" + digest);
  }
}
