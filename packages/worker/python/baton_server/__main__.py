"""python -m baton_server --test-path PATH [--top-dir DIR]: serve a unittest suite.

The RPC channel is the pair of descriptors named by --rpc-fds or $BATON_RPC_FDS
("READ_FD,WRITE_FD"); stdout and stderr stay free for the tests (they are captured
per test) and for this server's log. With --fork-server those descriptors are a fork
server's control channel instead (see forkserver.py).
"""

import argparse
import os
import sys

from . import PROTOCOL_MAX, PROTOCOL_MIN, run
from .channel import FDS_ENV, Channel, log
from .forkserver import ForkServer, send
from .runner import discover
from .server import Server


def _fds(text):
    try:
        read_fd, write_fd = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected READ_FD,WRITE_FD, got %r" % text)
    return read_fd, write_fd


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m baton_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--test-path", default=".", help="where discovery starts (unittest's -s; .stestr.conf test_path)")
    parser.add_argument("--top-dir", default=None, help="the top-level directory of the project (unittest's -t; .stestr.conf top_dir)")
    parser.add_argument("--rpc-fds", type=_fds, default=None, help="READ_FD,WRITE_FD of the RPC channel (default: $%s)" % FDS_ENV)
    parser.add_argument("--min-version", type=int, default=PROTOCOL_MIN, help="oldest protocol version to offer (for compatibility tests)")
    parser.add_argument("--max-version", type=int, default=PROTOCOL_MAX, help="newest protocol version to offer (for compatibility tests)")
    parser.add_argument("--name", default=None, help="the identity announced in Hello")
    parser.add_argument("--fork-server", action="store_true",
                        help="discover once, then fork a test server per request of the control channel")
    args = parser.parse_args(argv)
    # The suite sees the script and arguments stestr's workers give it (`run.py discover
    # -t TOP PATH`, less their --load-list), not this server's options: code that reads
    # sys.argv (an oslo.config CONF() called without arguments) finds what it would there.
    sys.argv = [run.SCRIPT, "discover", "-t", args.top_dir or ".", args.test_path]

    fds = args.rpc_fds
    if fds is None:
        if FDS_ENV not in os.environ:
            parser.error("no RPC channel: pass --rpc-fds or set %s (a worker does this when it starts the server)" % FDS_ENV)
        fds = _fds(os.environ[FDS_ENV])
    for fd in fds:
        # Subprocesses of tests must not hold the channel open after this server exits.
        os.set_inheritable(fd, False)
    if args.fork_server and not hasattr(os, "fork"):
        # Said before discovery, so that the worker wastes no time on it before it
        # starts test servers of their own instead.
        send(fds[1], {"msg": "unavailable", "reason": "this Python has no os.fork"})
        return 0

    try:
        tests = discover(args.test_path, args.top_dir)
    except Exception as e:  # discovery itself failed: a bad path, an unimportable top package
        log("test discovery in %r failed: %s: %s" % (args.test_path, type(e).__name__, e))
        return 2
    versions = (args.min_version, args.max_version)
    if args.fork_server:
        return ForkServer(fds[0], fds[1], tests, versions, args.name).serve()
    return Server(Channel(fds[0], fds[1]), tests, versions, args.name).serve()


if __name__ == "__main__":
    sys.exit(main())
