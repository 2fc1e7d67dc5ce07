"""Discovering unittest tests and running them as a subunit result stream."""

import io
import signal
import sys
import time
import traceback
import unittest
from unittest.util import strclass

from .channel import ChannelClosed
from .subunit_v2 import encode_file, encode_packet

#: The mime type of captured text: a mirror of @baton/subunit's TEXT_MIME_TYPE.
TEXT = "text/plain; charset=utf8"
BINARY = "application/octet-stream"
#: The attachment of a test interrupted at the Run's timeout: a mirror of @baton/protocol's
#: TIMEOUT_ATTACHMENT, by which the coordinator tells a timeout from a failure.
TIMEOUT_ATTACHMENT = "baton-timeout"
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


def fixture_tests(tests):
    """The ids of the tests (in discovery order) whose class has class fixtures, and of
    those whose module has module fixtures: a setUpClass or tearDownClass other than
    unittest.TestCase's (which do nothing), a setUpModule or tearDownModule. A process
    runs such a fixture once for all the tests of the class or module it runs, so a
    scheduler that keeps them together runs it once."""
    classes, modules = {}, {}
    for test in tests.values():
        cls = type(test)
        if cls in classes:
            continue
        classes[cls] = isinstance(test, unittest.TestCase) and any(
            getattr(getattr(cls, method), "__func__", None) is not getattr(unittest.TestCase, method).__func__
            for method in ("setUpClass", "tearDownClass"))
        module = sys.modules.get(cls.__module__)
        modules[cls] = module is not None and any(hasattr(module, name) for name in ("setUpModule", "tearDownModule"))
    return ([i for i, test in tests.items() if classes[type(test)]],
            [i for i, test in tests.items() if modules[type(test)]])


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


def discovery_positions(tests):
    """Each test id's position in discovery order (``tests`` is ordered as discovery found it)."""
    return {test_id: position for position, test_id in enumerate(tests)}


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
    attachments (traceback, stdout, stderr, reason) and its final status.

    One lives as long as its process: unittest keeps the class and module whose fixtures
    are set up on the result (``_previousTestClass``), so that fixtures last across Runs.
    ``timeout`` is the current Run's. Once the channel is closed, writes are dropped and
    ``shouldStop`` is set: the suite then stops, still tearing its fixtures down."""

    def __init__(self, write):
        unittest.TestResult.__init__(self)
        self._write_channel = write
        self.timeout = None
        self.started = set()
        self._status = None
        self._files = []
        self._saved = None
        self._previous_alarm = None
        self._alarm = None
        # Fixture failures by unittest's id ("setUpClass (pkg.mod.Class)"): (status, what),
        # so that the tests they prevented can name them.
        self._fixtures = {}

    def write(self, data):
        """Writes to the channel; a closed channel stops the suite instead of raising."""
        if self.shouldStop:
            return
        try:
            self._write_channel(data)
        except ChannelClosed:
            self.shouldStop = True

    def startTest(self, test):
        unittest.TestResult.startTest(self, test)
        self.started.add(test.id())
        self._status = None
        self._files = []
        self.write(encode_packet(test_id=test.id(), status="inprogress", timestamp=now()))
        self._saved = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = _Capture(), _Capture()
        self._alarm = self.timeout
        if self._alarm:
            self._previous_alarm = signal.signal(signal.SIGALRM, _raise_timeout)
            signal.setitimer(signal.ITIMER_REAL, self._alarm)

    def stopTest(self, test):
        if self._alarm:
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
        self.write(b"".join(chunks))

    def prevented(self, test):
        """Reports a test that TestSuite.run skipped because its class or module fixture
        failed: a fail (a skip, when the fixture raised SkipTest) whose reason names the
        fixture and its error, so that nobody has to look for the fixture's own result."""
        cls = test.__class__
        if getattr(self, "_moduleSetUpFailed", False):
            fixture = "setUpModule (%s)" % cls.__module__
        else:
            fixture = "setUpClass (%s)" % strclass(cls)
        status, what = self._fixtures.get(fixture, ("fail", None))
        if what is None:
            reason = "not run: its class or module fixture failed"
        elif status == "skip":
            reason = "%s skipped: %s" % (fixture, what)
        else:
            reason = "not run: %s failed: %s" % (fixture, what)
        self.emit(test.id(), status, [("reason", reason.encode("utf-8"))])

    def _outcome(self, test, status, name=None, err=None, text=None):
        if test.id() not in self.started:
            # A class or module fixture failed (unittest's _ErrorHolder): no test ran, so
            # it is reported under the fixture's own id, as subunit.run reports it.
            if err is not None:
                what = traceback.format_exception_only(err[0], err[1])[-1].strip()
                files = [(name, self._exc_info_to_string(err, test).encode("utf-8"))]
            else:
                what = text
                files = [(name, text.encode("utf-8"))] if text else []
            self._fixtures.setdefault(test.id(), (status, what))
            self.emit(test.id(), status, files)
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
            self._outcome(test, "fail", TIMEOUT_ATTACHMENT, text="timed out after %gs" % self._alarm)
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
    """One suite for the whole life of a test server: it takes its tests one at a time from
    ``next_test`` (which blocks until the next Run comes, and returns None at the end), so
    that tests cancelled mid-Run are never started, and unittest's own TestSuite.run keeps
    each class and module fixture set up while their tests come one after another, across
    Runs, tearing down on a change of class or module and once at the end."""

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
                self._result.prevented(test)
