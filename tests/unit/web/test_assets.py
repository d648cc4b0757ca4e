"""The deploy's version of the static files: any change to any file gives a new one."""

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
    return assets.version.__wrapped__(folder(tmp_path / name, files))


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
