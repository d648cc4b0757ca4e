"""A served worker's collector: startup objects frozen out of collections, young ones batched."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from boxoffice import collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_a_served_worker_no_longer_walks_what_it_built_at_startup() -> None:
    built_at_startup = [{"module": i} for i in range(1000)]  # noqa: F841 (alive, tracked)

    collector.tune_for_serving()

    assert gc.get_freeze_count() >= 1000
    assert gc.get_threshold()[0] == collector.YOUNGEST_THRESHOLD
