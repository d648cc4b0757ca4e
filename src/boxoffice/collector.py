"""The garbage collector, tuned for a long-running web worker.

Measured under a flash sale (docs/benchmarks.md): with CPython's defaults, a
`serve` worker spent about a quarter of its CPU in the cyclic garbage
collector, and each full collection paused the event loop for ~190 ms, a
pause every in-flight purchase waited out. Nearly all of what a full collection
walks was allocated at startup (modules, the app, SQLAlchemy's and pydantic's
machinery) and lives as long as the process. So, once the worker is up:

- `gc.freeze()` moves everything alive into a permanent generation that
  collections no longer walk (the technique Instagram described for its
  Django workers);
- the youngest generation is collected every 50,000 net allocations instead
  of 700: a purchase allocates thousands of short-lived objects, most of them
  freed by reference counting, and the default threshold walked the survivors
  dozens of times a second.

Only for served workers: a test process creates many apps, and would keep
every earlier app's garbage frozen forever.
"""

from __future__ import annotations

import gc

YOUNGEST_THRESHOLD = 50_000


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, middle, oldest)
