"""Test hooks for the interpreters of the worker's tests.

$BATON_TEST_SITE makes the interpreter one that a fork server cannot use: "no-fork" takes
os.fork away (as on a platform without it), "thread" leaves a thread running, as a suite
that starts one when it is imported does; or, with "wait", one that starts only once the
file $BATON_TEST_SITE_FILE exists (a slow import, held open).

$BATON_TEST_EXITS=DIR records the life of every forked test server: DIR/PID.started as it
starts, DIR/PID.exited (its exit code) as it ends by itself; one killed writes no .exited.
While DIR/slow exists, a test server starting waits that many seconds before it connects.
"""
import os
import threading
import time

if os.environ.get("BATON_TEST_SITE") == "no-fork":
    del os.fork
elif os.environ.get("BATON_TEST_SITE") == "thread":
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
elif os.environ.get("BATON_TEST_SITE") == "wait":
    while not os.path.exists(os.environ["BATON_TEST_SITE_FILE"]):
        time.sleep(0.01)

_exits = os.environ.get("BATON_TEST_EXITS")


def _record(name, text):
    with open(os.path.join(_exits, "%d.%s" % (os.getpid(), name)), "w") as f:
        f.write(text)


def _forked():
    _record("started", "")
    try:
        with open(os.path.join(_exits, "slow")) as f:
            time.sleep(float(f.read()))
    except FileNotFoundError:
        pass
    # A forked test server ends with os._exit (no atexit handlers run in it).
    real_exit = os._exit

    def _exit(code):
        _record("exited", str(code))
        real_exit(code)

    os._exit = _exit


if _exits:
    os.register_at_fork(after_in_child=_forked)
