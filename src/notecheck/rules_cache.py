"""A cache of loaded rule packs on disk, keyed by their content: start-up reads one pickle instead of
validating a hundred YAML files (issue 18).

The key is a sha256 over the pack's digest (``rules.pack_digest``: every rule file's path and bytes), the
pack's folder, the source of the modules that define and validate the rules (``rules.py``, ``models.py``),
and the Python and pydantic versions: an edited rule file, another notecheck or another interpreter misses
the cache and loads the YAML again. Only packs that loaded without error are stored. The folder is
``$NOTECHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/notecheck``, else ``~/.cache/notecheck``;
``NOTECHECK_CACHE_DIR=off`` turns the cache off. A cache that cannot be read or written is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import pydantic

_SOURCES = ("rules.py", "models.py")


def cache_dir() -> Path | None:
    env = os.environ.get("NOTECHECK_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "notecheck"


def _path(root: Path, digest: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{digest}\0{root}\0{(root / 'profiles').is_dir()}\0{sys.version}\0{pydantic.VERSION}\0".encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        key.update((here / name).read_bytes())
    return folder / f"rules-{key.hexdigest()[:32]}.pickle"


def read(root: Path, digest: str):
    """The pack stored for this content, or None."""
    try:
        path = _path(root, digest)
        if path is None or not path.is_file():
            return None
        with open(path, "rb") as fh:
            pack = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a stale or broken cache file: load the YAML instead
        return None
    return pack if getattr(pack, "digest", None) == digest and getattr(pack, "root", None) == root else None


def write(root: Path, digest: str, pack) -> None:
    tmp = None
    try:
        path = _path(root, digest)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(pack, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # noqa: BLE001 - no cache, only a slower start next time
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
