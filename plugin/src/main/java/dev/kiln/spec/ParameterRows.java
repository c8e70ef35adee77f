package dev.kiln.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * What the row classes of the {@link ParameterTable} share: adding a row to the table's list and
 * the value types and versions several elements use. Each subclass adds the rows of some elements,
 * in the table's order.
 */
abstract class ParameterRows {
  private static final String V010 = "0.1.0";
  static final String V020 = "0.2.0";

  private static final String REGION_RE =
      "(af|ap|ca|cn|eu|il|me|mx|sa|us)(-gov|-iso[a-z]?)?-(north|south|east|west|central"
          + "|northeast|northwest|southeast|southwest)-[1-9]";
  private static final String REGION_FORM = "an AWS region such as eu-west-1";
  static final String IAM_NAME = "[A-Za-z0-9_+=.@-]";
  static final String IAM_PATH = "[A-Za-z0-9_+=.@/-]";
  private static final String INSTANCE_TYPE_RE = "[a-z][a-z0-9-]{0,15}\\.[a-z0-9-]{1,16}";
  private static final String INSTANCE_TYPE_FORM = "an EC2 instance type such as t3.micro";

  private final List<Parameter> rows = new ArrayList<>();

  /** The rows the subclass's constructor added, in order. */
  final List<Parameter> rows() {
    return rows;
  }

  /** The region pattern, shared by every parameter that names a region. */
  static ValueType region() {
    return Types.pattern(REGION_RE, REGION_FORM, "mars-north-9", "us-east-0", "US-EAST-1");
  }

  static ValueType instanceType() {
    return Types.pattern(INSTANCE_TYPE_RE, INSTANCE_TYPE_FORM, "t3", "T3.MICRO", ".micro");
  }

  static ValueType durationS(long min, long max) {
    return Types.duration(min, max, "s");
  }

  static ValueType iamGroup() {
    return Types.pattern(IAM_NAME + "{1,128}", "an IAM group name", "*");
  }

  /** A row of 0.1.0 whose default is {@code dflt}, shown as is. */
  final void p(String path, ValueType type, String dflt, String doc) {
    p(path, type, dflt, dflt, doc, V010);
  }

  /** A row of 0.1.0 whose default is computed, as {@code defaultText} says. */
  final void auto(String path, ValueType type, String defaultText, String doc) {
    p(path, type, null, defaultText, doc, V010);
  }

  /** A row of 0.2.0; a null {@code dflt} means the default is computed. */
  final void since(String path, ValueType type, String dflt, String defaultText, String doc) {
    p(path, type, dflt, defaultText, doc, V020);
  }

  /** Adds a row; a null {@code dflt} means the default is computed, as {@code defaultText} says. */
  final void p(
      String path, ValueType type, String dflt, String defaultText, String doc, String since) {
    rows.add(new Parameter(path, type, dflt, defaultText, doc, since));
  }
}
