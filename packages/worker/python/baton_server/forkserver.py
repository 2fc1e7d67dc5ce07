"""The fork server: discovers a suite once and forks a test server for each request.

A worker that runs N slots would otherwise start N interpreters that each import and
discover the whole suite. This process pays that once, never runs a test, and forks a
fresh test server whenever the worker asks (the first N, every restart after a
timeout or a crash, and every fresh one a slot needs to go back in discovery order). See ../README.md (packages/worker/python/README.md).

Its control channel (the descriptors of --rpc-fds / $BATON_RPC_FDS) carries one JSON
object per line, each way:

    worker -> fork server   {"msg": "fork", "id": N, "path": SOCKET}
                            {"msg": "finish"}   the worker is closing its test servers: exit
                                                once the last child has, forking no more
    fork server -> worker   {"msg": "unavailable", "reason": TEXT}     no os.fork here: then it exits
                            {"msg": "ready", "tests": [ID, ...],       after discovery
                             "classFixtureTests": [ID, ...],
                             "moduleFixtureTests": [ID, ...]}
                            {"msg": "forked", "id": N, "pid": PID}
                            {"msg": "refused", "id": N, "reason": TEXT}  this process cannot fork safely
                            {"msg": "exited", "pid": PID, "code": C, "signal": NAME}

Each child connects to SOCKET three times, opening each connection with a four-byte tag
(``out\\n``, ``err\\n``, ``rpc\\n``), makes the first two its descriptors 1 and 2 and serves
the protocol on the third, exactly as a test server started on its own.
"""

import errno
import gc
import json
import os
import select
import signal
import socket
import sys
import threading
import traceback

from .channel import Channel, log
from .runner import digest, discovery_positions, fixture_tests
from .server import Server

#: The tags a child opens its connections with, in the order it opens them.
TAGS = (b"out\n", b"err\n", b"rpc\n")
#: What a forked test server exits with when it could not get as far as serving.
_CHILD_FAILED = 70


class ForkServer(object):
    def __init__(self, read_fd, write_fd, tests, versions, name):
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._tests = tests
        self._digest = None
        self._positions = None
        self._versions = versions
        self._name = name
        self._children = set()
        self._finishing = False
        self._pending = b""
        self._wakeup = None
        self._poll = None
        # What a test server started on its own would have: each child gets them back.
        self._inherited = {}

    def serve(self):
        """Forks on request until the worker closes the channel, then kills the children; or,
        once asked to finish, until the last child has exited."""
        self._install_signals()
        # Children share the suite's objects copy-on-write; the collector would otherwise
        # touch, and so copy, every page of them in each child.
        gc.freeze()
        try:
            class_fixtures, module_fixtures = fixture_tests(self._tests)
            self._send({"msg": "ready", "tests": list(self._tests),
                        "classFixtureTests": class_fixtures, "moduleFixtureTests": module_fixtures})
            # Each child's Hello carries it: computed once, after the worker has the list.
            self._digest = digest(self._tests)
            self._positions = discovery_positions(self._tests)
            while self._step():
                pass
        except BrokenPipeError:
            pass  # the worker is gone: nobody is left to report to
        finally:
            self._kill_children()
        return 0

    def _install_signals(self):
        for signum, handler in ((signal.SIGCHLD, _ignore), (signal.SIGINT, signal.SIG_IGN)):
            self._inherited[signum] = signal.signal(signum, handler)
        # SIGCHLD wakes the poll below through this pipe, so that no thread is needed to
        # reap children (a process with threads must not fork).
        self._wakeup = os.pipe()
        for fd in self._wakeup:
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._wakeup[1])
        # poll rather than select: the suite's imports may hold enough files open that
        # these descriptors lie beyond select's limit of 1024.
        self._poll = select.poll()
        for fd in (self._read_fd, self._wakeup[0]):
            self._poll.register(fd, select.POLLIN)

    def _step(self):
        readable = [fd for fd, _ in self._poll.poll()]
        if self._wakeup[0] in readable:
            _drain(self._wakeup[0])
            self._reap()
        if self._read_fd in readable:
            data = os.read(self._read_fd, 65536)
            if not data:
                return False
            self._pending += data
            *lines, self._pending = self._pending.split(b"\n")
            for line in lines:
                self._handle(line)
        return not (self._finishing and not self._children)

    def _handle(self, line):
        try:
            request = json.loads(line.decode("utf-8"))
            if request.get("msg") == "finish":
                self._finishing = True
                return
            if request.get("msg") != "fork":
                raise ValueError("unknown request %r" % request.get("msg"))
            fork_id, path = request["id"], request["path"]
        except (ValueError, KeyError, AttributeError) as e:
            log("fork server: bad request %r ignored: %s" % (line[:200], e))
            return
        if self._finishing:
            self._send({"msg": "refused", "id": fork_id, "reason": "the fork server is finishing: its worker is closing"})
            return
        threads = _threads()
        if threads > 1:
            self._send({"msg": "refused", "id": fork_id,
                        "reason": "%d thread(s) besides the main one run in the fork server (the suite's "
                                  "imports started them), and forking a process with threads can deadlock "
                                  "the child" % (threads - 1)})
            return
        # Buffered output would otherwise be written again by every child.
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as e:
            self._send({"msg": "refused", "id": fork_id, "reason": "fork failed: %s" % e})
            return
        if pid == 0:
            self._become_test_server(path)
        self._children.add(pid)
        self._send({"msg": "forked", "id": fork_id, "pid": pid})

    def _become_test_server(self, path):
        """The child's whole life: it never returns into the fork server's loop."""
        code = _CHILD_FAILED
        try:
            signal.set_wakeup_fd(-1)
            for signum, handler in self._inherited.items():
                signal.signal(signum, handler)
            for fd in (self._read_fd, self._write_fd) + self._wakeup:
                os.close(fd)
            rpc = _connect(path)
            code = Server(Channel(rpc, rpc), self._tests, self._versions, self._name, self._digest, self._positions).serve()
        except BaseException:  # whatever happens, this process must end here
            traceback.print_exc()
        finally:
            # Like multiprocessing's forked children: no atexit handlers, which belong to
            # the fork server's imports and run once, when it exits.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            os._exit(code)

    def _reap(self):
        for pid in list(self._children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                continue
            self._children.discard(pid)
            if os.WIFSIGNALED(status):
                code, name = None, _signal_name(os.WTERMSIG(status))
            else:
                code, name = os.WEXITSTATUS(status), None
            self._send({"msg": "exited", "pid": pid, "code": code, "signal": name})

    def _kill_children(self):
        for pid in self._children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        self._children.clear()

    def _send(self, message):
        send(self._write_fd, message)


def send(fd, message):
    """Writes one control message, a line of JSON."""
    view = memoryview(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")
    while view:
        view = view[os.write(fd, view):]


def _connect(path):
    """Connects the three streams; returns the RPC descriptor, with 1 and 2 in place."""
    fds = []
    for tag in TAGS:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.sendall(tag)
        fds.append(sock.detach())
    out, err, rpc = fds
    for fd, target in ((out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    return rpc


def _threads():
    """Threads of this process, counting those that C extensions started."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _drain(fd):
    while True:
        try:
            if not os.read(fd, 512):
                return
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return
            raise


def _signal_name(signum):
    try:
        return signal.Signals(signum).name
    except ValueError:
        return "SIG%d" % signum


def _ignore(signum, frame):
    """A handler must be installed for SIGCHLD to reach the wakeup descriptor."""
