"""The server: a reader thread for the channel, tests on the main thread.

The reader thread answers what must not wait for a test (Ping, Cancel) and queues
commands (List, Run) for the main thread, which runs tests there because signal-based
timeouts and many test suites assume the main thread.

The main thread runs one unittest suite for the process's whole life, fed Run after Run,
so that class and module fixtures stay set up while their tests come one after another,
even across Runs; they are torn down on a change of class or module, and at the end
(Goodbye, or the channel closed). A process runs its tests in strictly increasing
discovery order: a test at or before one it already ran fails without running.
"""

import collections
import os
import queue
import signal
import socket
import threading

from . import PROTOCOL_MAX, PROTOCOL_MIN
from .channel import BadMessage, ChannelClosed, log
from .runner import PendingSuite, StreamingResult, digest, discovery_positions, fixture_tests, now
from .subunit_v2 import encode_packet

#: The tags of a listed test whose class has class fixtures, whose module has module
#: fixtures (@baton/protocol CLASS_FIXTURES_TAG, MODULE_FIXTURES_TAG).
CLASS_FIXTURES_TAG = "baton-class-fixtures"
MODULE_FIXTURES_TAG = "baton-module-fixtures"
#: How long the client has to send its Hello after the server started listening.
HELLO_TIMEOUT = 30.0
_GOODBYE = object()
_CLOSED = object()


class _Run(object):
    def __init__(self, nonce, ids, timeout):
        self.nonce = nonce
        self.pending = collections.deque(ids)
        self.timeout = timeout


class Server(object):
    def __init__(self, channel, tests, versions=(PROTOCOL_MIN, PROTOCOL_MAX), name=None, tests_digest=None, positions=None):
        self._channel = channel
        self._tests = tests
        # A fork server computes both once for all its children.
        self._digest = tests_digest or digest(tests)
        self._positions = positions or discovery_positions(tests)
        # The discovery position of the last test this process took up, and its id.
        self._position = -1
        self._last = None
        self._result = StreamingResult(channel.write)
        # The Run whose tests the suite takes now.
        self._current = None
        self._min, self._max = versions
        self._name = name or "python-unittest %s pid %d" % (socket.gethostname(), os.getpid())
        self._version = None
        self._handshake = threading.Event()
        self._commands = queue.Queue()
        # Runs not finished yet, in arrival order; guarded by _lock because Cancel (reader
        # thread) takes tests out of them while the main thread runs them.
        self._runs = []
        self._lock = threading.Lock()

    def serve(self):
        """Runs until Goodbye or until the worker closes the channel; returns the exit code."""
        reader = threading.Thread(target=self._read, name="baton-rpc-reader")
        reader.daemon = True
        reader.start()
        if not self._handshake.wait(HELLO_TIMEOUT):
            self._error("BATON_PROTOCOL_HELLO_TIMEOUT", "no Hello from the worker within %gs" % HELLO_TIMEOUT)
            return 1
        if self._version is None:
            return 1
        PendingSuite(self._next_test, self._result)(self._result)
        return 0

    # --- main thread -----------------------------------------------------------------

    def _next_test(self):
        """The next test to run, waiting for the next Run when the current one is over (its
        Done is sent then, while its last class and module stay set up: the next Run may
        go on with them); None at Goodbye or once the channel closed."""
        result = self._result
        while not result.shouldStop:
            run = self._current
            if run is None:
                command = self._commands.get()
                if command is _GOODBYE or command is _CLOSED:
                    return None
                if isinstance(command, _Run):
                    self._current = command
                    result.timeout = command.timeout
                else:
                    self._list(command)
                continue
            with self._lock:
                test_id = run.pending.popleft() if run.pending else None
                if test_id is None:
                    self._runs.remove(run)
            if test_id is None:
                self._current = None
                self._send({"msg": "Done", "nonce": run.nonce})
                continue
            test = self._tests.get(test_id)
            if test is None:
                result.emit(test_id, "fail", [("reason", b"unknown test id: discovery did not find it")])
                continue
            position = self._positions[test_id]
            if position <= self._position:
                result.emit(test_id, "fail", [("reason", _backwards(test_id, self._last).encode("utf-8"))])
                continue
            self._position, self._last = position, test_id
            return test
        return None

    def _list(self, message):
        wanted = message.get("tests")
        ids = self._tests if wanted is None else [i for i in wanted if i in self._tests]
        class_fixtures, module_fixtures = (set(found) for found in fixture_tests(self._tests))

        def tags(test_id):
            return ([CLASS_FIXTURES_TAG] if test_id in class_fixtures else []) + ([MODULE_FIXTURES_TAG] if test_id in module_fixtures else [])

        self._result.write(b"".join(encode_packet(test_id=i, status="exists", timestamp=now(), tags=tags(i)) for i in ids))
        self._send({"msg": "Done", "nonce": message["nonce"]})

    def _send(self, message):
        try:
            self._channel.send(message)
        except ChannelClosed:
            self._result.shouldStop = True

    # --- reader thread ---------------------------------------------------------------

    def _read(self):
        if hasattr(signal, "pthread_sigmask"):
            # The Run timeout's SIGALRM must interrupt the test on the main thread, not
            # this thread's read.
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
        try:
            for message in self._channel.messages():
                if isinstance(message, BadMessage):
                    self._refuse(message.code, str(message), message.nonce)
                elif message["msg"] == "Error":
                    # Never answered, so that two ends cannot trade Errors forever.
                    log("the worker reported %s: %s" % (message.get("code"), message.get("message")))
                elif self._version is None and not self._handshake.is_set():
                    self._hello(message)
                elif self._version is not None:
                    self._dispatch(message)
        except ChannelClosed:
            pass
        with self._lock:
            # Nobody is left to report to: tests not started yet never will be.
            for run in self._runs:
                run.pending.clear()
        self._handshake.set()
        self._commands.put(_CLOSED)

    def _hello(self, message):
        if message["msg"] != "Hello":
            self._refuse("BATON_PROTOCOL_BAD_MESSAGE", "%s before the Hello handshake" % message["msg"], message.get("nonce"))
            return
        theirs_min, theirs_max = message.get("min"), message.get("max")
        if not (_is_version(theirs_min) and _is_version(theirs_max) and theirs_min <= theirs_max):
            self._refuse("BATON_PROTOCOL_BAD_MESSAGE", "Hello needs integer versions min <= max")
            return
        self._channel.send({"msg": "Hello", "min": self._min, "max": self._max, "slots": 1,
                            "name": self._name, "digest": self._digest})
        version = min(self._max, theirs_max)
        if version < max(self._min, theirs_min):
            self._error("BATON_PROTOCOL_NO_COMMON_VERSION",
                        "no common protocol version: this end speaks %s, the peer speaks %s"
                        % (_range(self._min, self._max), _range(theirs_min, theirs_max)))
        else:
            self._version = version
        self._handshake.set()

    def _dispatch(self, message):
        name = message["msg"]
        nonce = message.get("nonce")
        known = {"Hello", "Goodbye", "List", "Run"} | ({"Cancel", "Ping"} if self._version >= 2 else set())
        if name == "Hello":
            self._refuse("BATON_PROTOCOL_BAD_MESSAGE", "a second Hello")
        elif name not in known:
            self._refuse("BATON_PROTOCOL_UNKNOWN_MESSAGE", "%s is not a message this server takes at protocol version %d"
                         % (name, self._version), nonce)
        elif name == "Goodbye":
            self._commands.put(_GOODBYE)
        elif not isinstance(nonce, str):
            self._refuse("BATON_PROTOCOL_BAD_MESSAGE", "%s.nonce must be a string" % name)
        elif name == "Ping":
            self._channel.send({"msg": "Pong", "nonce": nonce})
        elif not _is_ids(message.get("tests"), optional=name != "Cancel"):
            self._refuse("BATON_PROTOCOL_BAD_MESSAGE", "%s.tests must be an array of strings" % name, nonce)
        elif name == "Cancel":
            groups = message.get("groups")
            problem = _groups_problem(groups, len(message["tests"]))
            if problem is not None:
                self._refuse("BATON_PROTOCOL_BAD_MESSAGE", problem, nonce)
                return
            self._cancel(message["tests"], groups, nonce)
        elif name == "List":
            self._commands.put(message)
        else:
            timeout = message.get("timeout") if self._version >= 2 else None
            if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
                self._refuse("BATON_PROTOCOL_BAD_MESSAGE", "Run.timeout must be a number of seconds > 0", nonce)
                return
            tests = message.get("tests")
            run = _Run(nonce, list(self._tests) if tests is None else tests, timeout)
            with self._lock:
                self._runs.append(run)
            self._commands.put(run)

    def _cancel(self, ids, groups, nonce):
        """Takes back each slice of ``ids`` (``groups`` gives their sizes; absent, every test
        is a slice of its own) whole or not at all: a slice of which the main thread took
        up any test, or that holds an id no Run has pending, stays. Under the lock the main
        thread takes tests with, so that no test starts halfway through the decision."""
        taken = []
        with self._lock:
            pending = set()
            for run in self._runs:
                pending.update(run.pending)
            start = 0
            for size in groups if groups is not None else [1] * len(ids):
                part = ids[start:start + size]
                start += size
                if all(test_id in pending for test_id in part):
                    pending.difference_update(part)
                    taken.extend(part)
            if taken:
                gone = set(taken)
                for run in self._runs:
                    run.pending = collections.deque(i for i in run.pending if i not in gone)
        self._channel.send({"msg": "Cancelled", "tests": taken, "nonce": nonce})

    def _refuse(self, code, text, nonce=None):
        log("%s: %s" % (code, text))
        # Version 1 has no Error message; before the handshake the version is unknown,
        # and an Error is the only way to tell the worker why nothing happens.
        if self._version is None or self._version >= 2:
            self._error(code, text, nonce)

    def _error(self, code, text, nonce=None):
        message = {"msg": "Error", "code": code, "message": text}
        if nonce is not None:
            message["nonce"] = nonce
        try:
            self._channel.send(message)
        except ChannelClosed:
            pass


def _is_version(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_ids(value, optional):
    if value is None:
        return optional
    return isinstance(value, list) and all(isinstance(i, str) for i in value)


def _groups_problem(groups, count):
    """Why Cancel.groups is malformed, or None when it is absent or fine."""
    if groups is None:
        return None
    if not (isinstance(groups, list) and all(isinstance(g, int) and not isinstance(g, bool) and g >= 1 for g in groups)):
        return "Cancel.groups must be an array of integers >= 1"
    if sum(groups) != count:
        return "Cancel.groups must add up to the %d tests of the Cancel, not %d" % (count, sum(groups))
    return None


def _backwards(test_id, last):
    return ("not run: out of discovery order: this test server process already ran %s, which discovery lists "
            "at or after %s; a process runs its tests in discovery order only (the worker should have sent "
            "this test to a fresh test server)" % (last, test_id))


def _range(low, high):
    return "version %d" % low if low == high else "versions %d..%d" % (low, high)
