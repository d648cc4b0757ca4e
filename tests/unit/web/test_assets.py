"""The release's version of what pages show: any change to any file gives a new one."""

from __future__ import annotations

from pathlib import Path

from boxoffice.web.pages import assets


def folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "static"
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    return root


def version_of(tmp_path: Path, files: dict[str, bytes], name: str = "") -> str:
    return assets.version.__wrapped__((folder(tmp_path / name, files),))


def test_the_same_files_give_the_same_version(tmp_path: Path) -> None:
    files = {"a.js": b"one", "vendor/b.js": b"two"}

    assert version_of(tmp_path, files, "x") == version_of(tmp_path, files, "y")
    assert len(version_of(tmp_path, files, "z")) == 10


def test_a_changed_added_or_renamed_file_gives_a_new_version(tmp_path: Path) -> None:
    files = {"a.js": b"one", "vendor/b.js": b"two"}
    released = version_of(tmp_path, files, "released")

    assert version_of(tmp_path, {**files, "a.js": b"one!"}, "changed") != released
    assert version_of(tmp_path, {**files, "c.css": b""}, "added") != released
    renamed = {"a2.js": b"one", "vendor/b.js": b"two"}
    assert version_of(tmp_path, renamed, "renamed") != released
    moved = {"a.js": b"one", "b.js": b"two"}
    assert version_of(tmp_path, moved, "moved") != released


def test_a_change_in_any_of_the_releases_folders_gives_a_new_version(tmp_path: Path) -> None:
    static = folder(tmp_path / "s", {"gate.js": b"scan()"})
    templates = folder(tmp_path / "t", {"gate.html": b"<h1>Gate</h1>"})
    released = assets.version.__wrapped__((static, templates))
    (templates / "gate.html").write_bytes(b"<h1>Portaria</h1>")

    assert assets.version.__wrapped__((static, templates)) != released
    assert assets.version.__wrapped__((templates, static)) != assets.version.__wrapped__(
        (static, templates)
    )


def test_the_shipped_release_covers_templates_and_translations() -> None:
    names = {folder.name for folder in assets.RELEASE}

    assert names == {"static", "templates", "locale"}
    assert all(any(folder.rglob("*")) for folder in assets.RELEASE)
