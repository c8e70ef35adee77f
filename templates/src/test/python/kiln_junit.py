"""Runs a unittest suite and writes one JUnit XML <testcase> per test (standard library only).

    python3 -B kiln_junit.py --start DIR --xml OUT.xml [--pattern 'test*.py']

Discovers the tests under DIR as `python3 -m unittest discover -v -s DIR` does, prints the same
verbose progress, and writes OUT.xml atomically once the run has finished. The Maven build
(templates' PythonSuite) turns each <testcase> into a test of its own, so Surefire and CI name every
Python test; the exit status is 0 only when every test passed or was skipped.

Not named test*.py, so discovery does not pick this file up.
"""
import argparse
import io
import os
import sys
import time
import traceback
import unittest
import xml.etree.ElementTree as ET


class _RecordingResult(unittest.TextTestResult):
    """Verbose text result that also keeps, per test, its outcome, duration and traceback."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []
        self._started = {}

    def startTest(self, test):
        self._started[test.id()] = time.monotonic()
        super().startTest(test)

    def _record(self, test, outcome, detail=""):
        began = self._started.pop(test.id(), None)
        seconds = time.monotonic() - began if began is not None else 0.0
        self.records.append((test.id(), outcome, seconds, detail))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failure", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        # setUpClass/tearDownModule errors arrive with a _ErrorHolder, whose id names the fixture.
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "passed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "failure", "unexpected success (the test is marked expectedFailure)")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "failure" if issubclass(err[0], test.failureException) else "error"
            self._record(subtest, kind, self._exc_info_to_string(err, test))


def _split(test_id):
    """'pkg.module.Class.test' -> ('pkg.module.Class', 'test'); fixtures keep their whole id."""
    head, dot, tail = test_id.rpartition(".")
    return (head, tail) if dot and " " not in test_id else ("", test_id)


def write_xml(records, path, seconds):
    counts = {k: sum(1 for r in records if r[1] == k) for k in ("failure", "error", "skipped")}
    suite = ET.Element("testsuite", name="python", tests=str(len(records)), failures=str(counts["failure"]),
                       errors=str(counts["error"]), skipped=str(counts["skipped"]), time="%.3f" % seconds)
    for test_id, outcome, secs, detail in records:
        classname, name = _split(test_id)
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="%.3f" % secs)
        if outcome in ("failure", "error"):
            first = detail.strip().splitlines()[-1] if detail.strip() else outcome
            ET.SubElement(case, outcome, message=first).text = detail
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", message=detail)
    tmp = path + ".tmp"
    ET.ElementTree(suite).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, help="directory to discover tests in")
    parser.add_argument("--xml", required=True, help="JUnit XML file to write")
    parser.add_argument("--pattern", default="test*.py")
    args = parser.parse_args(argv)
    start = os.path.abspath(args.start)
    began = time.monotonic()
    records = []
    try:
        suite = unittest.defaultTestLoader.discover(start, pattern=args.pattern, top_level_dir=start)
        runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=_RecordingResult)
        result = runner.run(suite)
        records = result.records
        ok = result.wasSuccessful()
    except BaseException:  # a crash of the runner itself still yields a named, failed entry
        buf = io.StringIO()
        traceback.print_exc(file=buf)
        sys.stdout.write(buf.getvalue())
        records.append(("kiln_junit.discover", "error", 0.0, buf.getvalue()))
        ok = False
    write_xml(records, args.xml, time.monotonic() - began)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
