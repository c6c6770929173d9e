"""Rewrites a Lambda zip so that every module carries bytecode Python uses without looking at the source.

Zappa packs the sources with whatever __pycache__ it finds, and timestamp-checked .pyc files never match once
Lambda unpacks the zip (the zip's dates are not the build machine's): Python then recompiles every module at each
cold start and cannot save the result (/var/task is read-only). Unchecked hash-based .pyc files (PEP 552) are
valid wherever they land. Run with the runtime's Python version (3.11 here), as package.sh does."""
from __future__ import annotations

import compileall
import py_compile
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def precompile(archive: Path) -> int:
    """Returns the number of modules compiled; the zip is replaced only when all of them compiled."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "code"
        with zipfile.ZipFile(archive) as source:
            source.extractall(root)
        for stale in root.rglob("__pycache__"):
            shutil.rmtree(stale)
        if not compileall.compile_dir(root, quiet=1, force=True, workers=1,
                                      invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
            raise SystemExit(f"some modules of {archive} do not compile: not rewriting it")
        rebuilt = archive.with_suffix(".tmp")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(str(path.relative_to(root)))
                info.create_system, info.external_attr = 3, 0o755 << 16  # as Zappa writes its entries
                target.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
        rebuilt.replace(archive)
        return sum(1 for _ in root.rglob("*.pyc"))


if __name__ == "__main__":
    print(f"{precompile(Path(sys.argv[1]))} modules precompiled (unchecked hash-based .pyc) in {sys.argv[1]}")
