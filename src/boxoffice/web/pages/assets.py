"""The release's version of what pages show, so a deploy reaches every page and phone at once.

Pages name their scripts and styles as ``/t/static/gate.js?v=<version>``, where the version
is a digest of every file under ``static/``, ``templates/`` and the translation catalogues.
Why it matters here more than in most sites: the ticket wallet and the gate scanner keep
their files in a service worker to open with no signal, and serve them from that copy first.
With plain names, the first load after a deploy ran the previous scripts under the new page
(the page itself is network-first). With versioned names a new page asks for new URLs, which
no old copy answers; the workers are registered as ``sw.js?v=<version>``, so a deploy
installs a new worker that keeps the new files under a new cache name and drops the old ones.
The ticket page's ETag names the version as well, so a page kept from an earlier release is
rendered again, not confirmed with a 304, whichever of its template, words or scripts changed.

A request with the current version is answered as immutable for a year (browsers keep it
without asking again); any other, the plain name included, as ``no-cache``, so a browser
holding an old page revalidates rather than trusting a heuristic lifetime.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import cache
from os import PathLike
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from boxoffice.i18n import LOCALE_DIR

STATIC = Path(__file__).parent / "static"
RELEASE = (STATIC, Path(__file__).parent / "templates", LOCALE_DIR)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
RELEASE_HEADER = "Boxoffice-Release"


@cache
def version(folders: tuple[Path, ...] = RELEASE) -> str:
    """Ten hex digits of SHA-256 over every file's path and bytes in `folders`, in order."""
    digest = hashlib.sha256()
    for number, folder in enumerate(folders):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(f"{number}:{path.relative_to(folder).as_posix()}".encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def asset_url(path: str) -> str:
    """``asset_url("/t/static/gate.js")`` → ``/t/static/gate.js?v=…`` (templates: ``asset``)."""
    return f"{path}?v={version()}"


class VersionedStaticFiles(StaticFiles):
    """Starlette's static files, with a lifetime that follows the URL's version, and the
    release that answered in ``Boxoffice-Release``.

    During a rolling deploy, hosts of two releases answer behind one balancer, so a page of
    one release may get a file from the other. The browser is safe (that answer is
    ``no-cache``), but the offline workers keep files by URL for good: they keep a file only
    when the release that answered is the one its URL names (gate-sw.js, sw.js), and a worker
    that cannot get its whole release refuses to install, to try again on a later visit.
    """

    def __init__(self, directory: Path = STATIC) -> None:
        super().__init__(directory=directory)
        self.release: Callable[[], str] = lambda: version()

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        release = self.release()
        fresh = f"v={release}".encode() in scope.get("query_string", b"").split(b"&")
        response.headers["Cache-Control"] = IMMUTABLE if fresh else REVALIDATE
        response.headers[RELEASE_HEADER] = release
        return response
