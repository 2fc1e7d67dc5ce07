"""What test code sees as the script that started Python (``sys.argv[0]``).

stestr's workers run ``python -m stestr.subunit_runner.run``, so suites that build text
from the script's name (keystoneauth1's User-Agent, ``run.py keystoneauth1/5.0.0 …``)
expect ``run.py``; the server names this file as its script, with no arguments, before
it imports the suite. Run directly, it serves like ``python -m baton_server``.
"""

import os
import sys

SCRIPT = os.path.abspath(__file__)

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(SCRIPT)))
    from baton_server.__main__ import main

    sys.exit(main())
