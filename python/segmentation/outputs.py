"""The folders the project writes into, and the rule that keeps everything else safe.

The project writes only into folders it owns. A folder it owns is one it created, or found
empty, and marked with a marker file, ``.segmentation-owned``. The marker lists every entry the
project wrote in the folder (files and subfolders, by name), and the project removes only
entries on that list: a file a user puts in an owned folder stays. It refuses, with one message
naming the setting and the folder:

- a folder that is not empty and has no marker (someone else's folder);
- a folder marked for another purpose (e.g. the published folder given as the audiences folder);
- a dangerous target whatever it holds: ``/``, a home folder or one of its parents, the project
  folder or one of its parents;
- a path that is a file.

The marker is JSON, rewritten atomically (a temporary file renamed over it), and doubles as the
folder's journal: an entry is listed *before* it is created, so the next run can remove what an
interrupted one left behind, and ``state`` holds what a folder's writer needs to finish or undo
an interrupted step (see :mod:`segmentation.publish`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

MARKER = ".segmentation-owned"
LOCK = ".segmentation-lock"
OWNER = "segmentation"


class OutputFolderError(Exception):
    """A folder setting the project cannot write into, naming the setting and the folder."""


def project_root(start: Path | None = None) -> Path | None:
    """The dbt project folder: the nearest folder holding dbt_project.yml, from `start` (default:
    the working directory) upwards."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    return None


def dangerous_reason(path: Path, protected: Iterable[Path] = ()) -> str | None:
    """Why `path` (resolved) must never be an output folder, or None.

    `protected` adds folders that, with their parents, are off limits (the project root is
    always added when found from the working directory)."""
    path = path.resolve()
    if path == Path(path.anchor):
        return "it is the root of the file system"
    guarded = {Path.home().resolve(): "a home folder"}
    root = project_root()
    if root is not None:
        guarded[root] = "the project folder"
    for folder in protected:
        guarded[Path(folder).resolve()] = "a protected folder"
    for folder, label in guarded.items():
        if path == folder:
            return f"it is {label}"
        if path in folder.parents:
            return f"it holds {label} ({folder})"
    if path.parent == Path("/home") or path.parent == Path("/Users"):
        return "it is a home folder"
    return None


class OwnedFolder:
    """A folder the project owns, with the inventory of what it wrote there."""

    def __init__(self, path: Path, kind: str, setting: str, marker: dict[str, Any]):
        self.path = path
        self.kind = kind
        self.setting = setting
        self._marker = marker

    # --- the inventory ---

    @property
    def entries(self) -> set[str]:
        return set(self._marker.get("entries", []))

    @property
    def state(self) -> dict[str, Any]:
        return dict(self._marker.get("state", {}))

    def owns(self, name: str) -> bool:
        return name in self.entries

    def record(self, *names: str, **state: Any) -> None:
        """Lists `names` as written by the project (call before creating them) and updates
        `state`; one atomic rewrite of the marker."""
        for name in names:
            _check_entry_name(name)
        self._marker["entries"] = sorted(self.entries | set(names))
        self._marker["state"] = {**self.state, **state}
        _write_marker(self.path, self._marker)

    def forget(self, *names: str, **state: Any) -> None:
        self._marker["entries"] = sorted(self.entries - set(names))
        self._marker["state"] = {**self.state, **state}
        _write_marker(self.path, self._marker)

    def remove(self, *names: str) -> list[str]:
        """Deletes the listed entries the project wrote (files or folders) and forgets them.
        A name not on the inventory is left alone. Returns the names removed."""
        removed = []
        for name in names:
            if not self.owns(name):
                continue
            target = self.path / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
            removed.append(name)
        if removed:
            self.forget(*removed)
        return removed

    def write_text(self, name: str, text: str) -> Path:
        """Writes `name` in the folder atomically (a temporary file renamed over it); refused if
        a file of that name is there that the project did not write."""
        self.refuse_foreign(name)
        temporary = f"{name}.tmp-{os.getpid()}"
        self.record(name, temporary)
        (self.path / temporary).write_text(text, encoding="utf-8")
        os.replace(self.path / temporary, self.path / name)
        self.forget(temporary)
        return self.path / name

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Holds the folder for one writer at a time (an advisory lock on a file of its own);
        a second writer stops at once with a message instead of waiting."""
        self.record(LOCK)
        with open(self.path / LOCK, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputFolderError(
                    f"{self.setting}: another process is publishing into {self.path} right now; "
                    "wait for it to finish."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def refuse_foreign(self, name: str) -> None:
        """Stops before the project would write over `name` in this folder when a user put it
        there (it exists and is not on the inventory)."""
        if (self.path / name).exists() and not self.owns(name):
            raise OutputFolderError(
                f"{self.setting}: {self.path / name} was not written by this project; it is "
                "in the way of a file the project writes there. Move it elsewhere."
            )


def _check_entry_name(name: str) -> None:
    if not name or "/" in name or os.sep in name or name in (".", "..", MARKER):
        raise ValueError(f"not an entry name: {name!r}")


def _write_marker(folder: Path, marker: dict[str, Any]) -> None:
    temporary = folder / f"{MARKER}.tmp-{os.getpid()}"
    temporary.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, folder / MARKER)


def _read_marker(folder: Path) -> dict[str, Any] | None:
    path = folder / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("owner") != OWNER:
        return None
    return marker


def read_marker_kind(folder: Path) -> str | None:
    """The kind of owned folder `folder` is (e.g. 'report'), or None if it is not one."""
    marker = _read_marker(Path(folder))
    return marker.get("kind") if marker else None


def read_state(folder: Path) -> dict[str, Any]:
    """The state recorded in an owned folder's marker (empty if there is no marker); reads only."""
    marker = _read_marker(Path(folder))
    return dict(marker.get("state", {})) if marker else {}


def claim(path: str | Path, kind: str, setting: str, protected: Iterable[Path] = ()) -> OwnedFolder:
    """The folder at `path` as an owned folder of `kind` (e.g. 'published'), for the setting
    named `setting` (e.g. 'var published_dir'): created and marked when it does not exist or is
    empty; taken as it is when it carries this project's marker of the same kind; refused
    otherwise (:class:`OutputFolderError`)."""
    folder = Path(path).expanduser()
    where = f"{setting} = {path}"
    reason = dangerous_reason(folder, protected)
    if reason:
        raise OutputFolderError(
            f"{where}: refusing to write there, {reason}. Give the project a folder of its own, "
            "e.g. a new subfolder."
        )
    folder = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{where}: {folder} is a file, not a folder.")
    if folder.is_dir():
        marker = _read_marker(folder)
        if marker is not None:
            if marker.get("kind") != kind:
                raise OutputFolderError(
                    f"{where}: {folder} is this project's {marker.get('kind')} folder, not a "
                    f"{kind} folder; give each setting a folder of its own."
                )
            leftovers = [p for p in folder.glob(f"{MARKER}.tmp-*") if p.is_file()]
            for leftover in leftovers:  # the marker's own temporary files, by their name
                leftover.unlink(missing_ok=True)
            return OwnedFolder(folder, kind, setting, marker)
        if any(folder.iterdir()):
            raise OutputFolderError(
                f"{where}: {folder} is not empty and was not created by this project (it has no "
                f"{MARKER} file). The project writes only into folders it created, so that it "
                "never deletes a file it did not write: choose a new or empty folder."
            )
    else:
        folder.mkdir(parents=True)
    marker = {"owner": OWNER, "kind": kind, "entries": [], "state": {}}
    _write_marker(folder, marker)
    return OwnedFolder(folder, kind, setting, marker)


def clean(path: str | Path) -> list[str]:
    """Removes what the project wrote in the owned folder at `path` (its inventory and marker)
    and the folder itself if that leaves it empty; a folder without the marker is left alone.
    Returns what was removed."""
    folder = Path(path)
    marker = _read_marker(folder) if folder.is_dir() else None
    if marker is None:
        return []
    owned = OwnedFolder(folder.resolve(), marker.get("kind", ""), str(path), marker)
    removed = owned.remove(*owned.entries)
    (owned.path / MARKER).unlink()
    removed.append(MARKER)
    if not any(owned.path.iterdir()):
        owned.path.rmdir()
    return removed


def main(argv: list[str] | None = None) -> int:
    """python -m segmentation.outputs clean FOLDER...: what `make clean` runs."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=["clean"])
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for folder in args.folders:
        removed = clean(folder)
        if removed:
            print(f"{folder}: removed {len(removed)} entries the project wrote")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
