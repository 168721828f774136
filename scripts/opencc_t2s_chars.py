"""Write gazette/data/opencc_t2s_chars.txt: characters that t2s may change.

Every key in the dictionaries of OpenCC's ``t2s`` config whose conversion
differs from the key itself gets one *witness* character, and the file lists
the witnesses. A text without any of them contains no such key, so ``t2s``
returns it unchanged and :func:`gazette.text.normalize.simplified` skips the
conversion. The witness of a key is a character that t2s changes by itself
(a traditional character) when the key has one; otherwise (``批覆``,
``藉口``) a character chosen to be rare in simplified text: outside GB 2312
first, then the one shared by most such keys. Run it again after upgrading OpenCC (a test compares
the file with the installed OpenCC)::

    .venv/bin/python scripts/opencc_t2s_chars.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gazette" / "data" / "opencc_t2s_chars.txt"


def changing_keys() -> list[str]:
    """Every key of the installed OpenCC's t2s dictionaries that t2s changes."""
    from opencc import clib

    base = Path(clib.__file__).parent
    tool = base / "bin" / "opencc_dict"
    share = base / "share" / "opencc"
    config = json.loads((share / "t2s.json").read_text(encoding="utf-8"))
    files: list[str] = []

    def collect(node: dict) -> None:
        if node.get("type") == "group":
            for sub in node["dicts"]:
                collect(sub)
        else:
            files.append(node["file"])

    for step in config.get("normalization", []) + config["conversion_chain"]:
        collect(step["dict"])
    changing: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            out = Path(tmp) / (name + ".txt")
            subprocess.run(
                [str(tool), "-i", str(share / name), "-o", str(out), "-f", "ocd2", "-t", "text"],
                check=True,
                capture_output=True,
            )
            for line in out.read_text(encoding="utf-8").splitlines():
                key, _, values = line.partition("\t")
                if values.split(" ")[0] != key:
                    changing.append(key)
    return changing


def t2s_chars() -> tuple[str, str]:
    """(OpenCC version, the sorted witness characters) from the installed OpenCC."""
    import opencc

    changing = changing_keys()
    chars = {key for key in changing if len(key) == 1}
    left = [key for key in changing if chars.isdisjoint(key)]
    while left:  # greedy cover of the keys without a traditional character
        count = Counter(c for key in left for c in set(key))
        best = min(sorted(count), key=lambda c: (_in_gb2312(c), -count[c]))
        chars.add(best)
        left = [key for key in left if best not in key]
    return str(opencc.__version__), "".join(sorted(chars))


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def render(version: str, chars: str) -> str:
    lines = [chars[i : i + 80] for i in range(0, len(chars), 80)]
    return (
        f"# opencc {version} t2s: a witness character of every key that t2s changes\n"
        + "\n".join(lines)
        + "\n"
    )


def main() -> int:
    version, chars = t2s_chars()
    OUT.write_text(render(version, chars), encoding="utf-8")
    print(f"{OUT}: {len(chars)} characters (OpenCC {version})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
