#!/usr/bin/env python3
"""Build the scrapyd egg of gazette (package data and the ``scrapy`` settings
entry point included) and optionally deploy it with scrapyd-client.

    python deploy/build_egg.py                      # -> dist/gazette-<version>.egg
    python deploy/build_egg.py --deploy default     # build, then scrapyd-deploy --egg
                                                    # (found beside this Python: the venv)

Why not plain ``scrapyd-deploy``: without a ``setup.py`` it writes a generic one
(``find_packages()``, no package data) into the project, and the egg lacks
``gazette/data/*.json|*.tsv`` (the Notice schema, issuer codes) that the
pipelines load. This script builds from a copy of ``gazette/`` in a temporary
directory and leaves the checkout untouched.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP_PY = """\
from setuptools import setup, find_packages

setup(
    name="gazette",
    version={version!r},
    packages=find_packages(include=["gazette", "gazette.*"]),
    package_data={package_data!r},
    entry_points={{"scrapy": ["settings = gazette.settings"]}},
    zip_safe=False,
)
"""


def package_data(package: Path) -> dict[str, list[str]]:
    """Every non-Python file of every package, relative to that package."""
    data: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        owner = path.parent
        while not (owner / "__init__.py").exists() and owner != package:
            owner = owner.parent
        name = ".".join(owner.relative_to(package.parent).parts)
        data.setdefault(name, []).append(str(path.relative_to(owner)))
    return data


def build(output_dir: Path, version: str | None = None) -> Path:
    """Build ``gazette-<version>.egg`` into ``output_dir``; → its path."""
    version = version or time.strftime("%Y%m%d%H%M%S")
    output_dir = output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gazette-egg-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(
            ROOT / "gazette", src / "gazette", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        (src / "setup.py").write_text(
            SETUP_PY.format(version=version, package_data=package_data(src / "gazette")), "utf-8"
        )
        dist = Path(tmp) / "dist"
        subprocess.run(
            [sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(dist)],
            cwd=src,
            check=True,
            capture_output=True,  # setuptools' deprecation chatter
        )
        (egg,) = dist.glob("*.egg")
        target = output_dir / f"gazette-{version}.egg"
        shutil.move(str(egg), target)
    return target


def scrapyd_deploy() -> str | None:
    """scrapyd-client's ``scrapyd-deploy``: beside the running Python (the virtualenv's
    ``bin/``, found without activating it), else on ``PATH``."""
    beside = Path(sys.executable).parent / "scrapyd-deploy"
    if beside.is_file():
        return str(beside)
    return shutil.which("scrapyd-deploy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "dist")
    parser.add_argument("--version", help="egg version (default: a timestamp)")
    parser.add_argument(
        "--deploy", metavar="TARGET", help="then run `scrapyd-deploy TARGET --egg EGG` (scrapy.cfg)"
    )
    args = parser.parse_args(argv)
    egg = build(args.output_dir, args.version)
    print(egg)
    if args.deploy:
        tool = scrapyd_deploy()
        if tool is None:
            print(
                "build_egg.py: scrapyd-deploy not found beside this Python nor on PATH: "
                f"{sys.executable} -m pip install -e '.[server]'",
                file=sys.stderr,
            )
            return 2
        cmd = [tool, args.deploy, "--egg", str(egg)]
        cmd += ["--version", egg.stem.split("-", 1)[1]]
        return subprocess.run(cmd, cwd=ROOT, check=False).returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
