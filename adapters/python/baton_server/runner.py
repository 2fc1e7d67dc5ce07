"""Discovering unittest tests and running them as a subunit result stream."""

import io
import signal
import sys
import time
import unittest

from .subunit_v2 import encode_file, encode_packet

TEXT = "text/plain; charset=utf8"
BINARY = "application/octet-stream"
# In rising severity: when a test collects several outcomes (subtests), the worst stands.
_SEVERITY = ("success", "skip", "xfail", "uxsuccess", "fail")


def discover(test_path, top_dir):
    """Every test id, mapped to its test, as `python -m unittest discover -s PATH -t TOP`
    finds them. Modules that fail to import become tests that fail (unittest's
    ``_FailedTest``), as stestr lists them."""
    suite = unittest.defaultTestLoader.discover(test_path, top_level_dir=top_dir)
    tests = {}
    for test in _flatten(suite):
        tests.setdefault(test.id(), test)
    return tests


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            for test in _flatten(item):
                yield test
        else:
            yield item


def digest(ids):
    """sha256 of the ids sorted by their UTF-8 bytes and joined with newlines (hex): the
    test-list digest of the Hello message, computed the same way by @baton/protocol."""
    # Imported here: a fork server computes it after the worker has the list, and loading
    # OpenSSL's hashlib otherwise delays that list by a few milliseconds.
    import hashlib

    ordered = sorted(i.encode("utf-8") for i in ids)
    return hashlib.sha256(b"\n".join(ordered)).hexdigest()


def now():
    ns = time.time_ns()
    return ns // 1000000000, ns % 1000000000


class TestTimeout(BaseException):
    """Raised into a test that outlived the Run's timeout. A BaseException, so that the
    test's own ``except Exception`` cannot swallow it; unittest records it as an error."""


def _raise_timeout(signum, frame):
    raise TestTimeout("the test exceeded its timeout")


class _Capture(io.TextIOWrapper):
    """A stand-in for sys.stdout/sys.stderr during a test: text and ``.buffer`` writes land
    in one byte buffer, in order, whatever bytes the test writes."""

    def __init__(self):
        io.TextIOWrapper.__init__(self, io.BytesIO(), encoding="utf-8", errors="backslashreplace",
                                  write_through=True)

    def captured(self):
        self.flush()
        return self.buffer.getvalue()


class StreamingResult(unittest.TestResult):
    """A TestResult that writes subunit packets as the tests go: ``inprogress`` at once
    (so a crash names the test that was running), then at the end of each test its
    attachments (traceback, stdout, stderr, reason) and its final status."""

    def __init__(self, write, timeout):
        unittest.TestResult.__init__(self)
        self._write = write
        self._timeout = timeout
        self.started = set()
        self._status = None
        self._files = []
        self._saved = None
        self._previous_alarm = None

    def startTest(self, test):
        unittest.TestResult.startTest(self, test)
        self.started.add(test.id())
        self._status = None
        self._files = []
        self._write(encode_packet(test_id=test.id(), status="inprogress", timestamp=now()))
        self._saved = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = _Capture(), _Capture()
        if self._timeout:
            self._previous_alarm = signal.signal(signal.SIGALRM, _raise_timeout)
            signal.setitimer(signal.ITIMER_REAL, self._timeout)

    def stopTest(self, test):
        if self._timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous_alarm or signal.SIG_DFL)
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self._saved
        for name, stream in (("stdout", out), ("stderr", err)):
            data = stream.captured() if isinstance(stream, _Capture) else b""
            if data:
                self._files.append((name, data))
        self.emit(test.id(), self._status or "fail", self._files)
        unittest.TestResult.stopTest(self, test)

    def emit(self, test_id, status, files):
        """Writes the attachments and final status of one test in one write."""
        stamp = now()
        chunks = []
        for name, data in files:
            chunks.append(encode_file(test_id, name, data, _mime_of(data), stamp))
        chunks.append(encode_packet(test_id=test_id, status=status, timestamp=stamp))
        self._write(b"".join(chunks))

    def _outcome(self, test, status, name=None, err=None, text=None):
        if test.id() not in self.started:
            # A class or module fixture failed (unittest's _ErrorHolder): no test ran, so
            # it is reported under the fixture's own id, as subunit.run reports it.
            self.emit(test.id(), status, [(name, self._exc_info_to_string(err, test).encode("utf-8"))] if err else [])
            return
        if self._status is None or _SEVERITY.index(status) > _SEVERITY.index(self._status):
            self._status = status
        if err is not None:
            self._files.append((name, self._exc_info_to_string(err, test).encode("utf-8")))
        if text:
            self._files.append((name, text.encode("utf-8")))

    def addSuccess(self, test):
        unittest.TestResult.addSuccess(self, test)
        self._outcome(test, "success")

    def addError(self, test, err):
        unittest.TestResult.addError(self, test, err)
        if err[0] is TestTimeout:
            self._outcome(test, "fail", "reason", text="timed out after %gs" % self._timeout)
        self._outcome(test, "fail", "traceback", err)

    def addFailure(self, test, err):
        unittest.TestResult.addFailure(self, test, err)
        self._outcome(test, "fail", "traceback", err)

    def addSubTest(self, test, subtest, err):
        unittest.TestResult.addSubTest(self, test, subtest, err)
        if err is not None:
            self._outcome(test, "fail", "traceback %s" % subtest._subDescription(), err)

    def addSkip(self, test, reason):
        unittest.TestResult.addSkip(self, test, reason)
        self._outcome(test, "skip", "reason", text=reason)

    def addExpectedFailure(self, test, err):
        unittest.TestResult.addExpectedFailure(self, test, err)
        self._outcome(test, "xfail", "traceback", err)

    def addUnexpectedSuccess(self, test):
        unittest.TestResult.addUnexpectedSuccess(self, test)
        self._outcome(test, "uxsuccess")


def _mime_of(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY
    return TEXT


class PendingSuite(unittest.TestSuite):
    """A suite that takes its tests one at a time from ``next_test`` while it runs, so
    that tests cancelled mid-Run are never started. unittest's own TestSuite.run still
    does the class and module fixtures, in the order the tests come."""

    def __init__(self, next_test, result):
        unittest.TestSuite.__init__(self)
        self._next_test = next_test
        self._result = result
        self._cleanup = False

    def __iter__(self):
        while True:
            test = self._next_test()
            if test is None:
                return
            yield test
            if test.id() not in self._result.started:
                # TestSuite.run skips the tests of a class whose setUpClass failed; each
                # still gets a result, so that the worker never waits for it.
                self._result.emit(test.id(), "fail", [("reason", b"not run: its class or module fixture failed")])
