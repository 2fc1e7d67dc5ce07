"""Makes the interpreter one that a fork server cannot use, as $BATON_TEST_SITE says:
"no-fork" takes os.fork away (as on a platform without it), "thread" leaves a thread
running, as a suite that starts one when it is imported does; or, with "wait", one that
starts only once the file $BATON_TEST_SITE_FILE exists (a slow import, held open)."""
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
