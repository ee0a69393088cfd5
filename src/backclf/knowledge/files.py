"""Reading the knowledge files shipped inside the package, and their JSON snapshots.

A one-case ``backclf predict`` reads four small files (``article.yaml``, ``red_flags.yaml``,
``guidance.yaml``, ``questions.yaml``); importing PyYAML to parse them costs ~90M
instructions, a quarter of ``import numpy`` (most of it compiling the resolver's regular
expressions). So those files also ship as JSON snapshots (``snapshots/<name>.json``): the
parsed data and the sha256 of the YAML text it came from.

The YAML stays the source of truth. A snapshot is used only while its hash matches the YAML
beside it; an edited file is parsed from YAML, as before, until its snapshot is written again
with ``python -m backclf.knowledge.files`` (``tests/test_startup.py`` fails until then). Either
way the same pydantic models validate the data.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGE = "backclf.knowledge"
#: The knowledge files a one-case ``backclf predict`` reads.
SNAPSHOTS = ("article.yaml", "red_flags.yaml", "guidance.yaml", "questions.yaml")
#: What :func:`read_snapshot` returns when there is no current snapshot.
MISSING = object()


def read_yaml(name: str) -> Any:
    """The parsed data of knowledge file ``name``: from its snapshot if current, else YAML."""
    text = read_text(name)
    data = read_snapshot(name, text)
    return parse_yaml(text) if data is MISSING else data


def read_text(name: str) -> str:
    return resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")


def parse_yaml(text: str) -> Any:
    import yaml  # here, not at the top: a one-case `backclf predict` reads snapshots only

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_name(name: str) -> str:
    return name.removesuffix(".yaml") + ".json"


def read_snapshot(name: str, text: str) -> Any:
    """The data in the snapshot of ``name``, or :data:`MISSING` if it has none or the snapshot
    was made from another text than ``text``."""
    if name not in SNAPSHOTS:
        return MISSING
    try:
        resource = resources.files(PACKAGE).joinpath("snapshots", snapshot_name(name))
        snapshot = json.loads(resource.read_bytes())
    except (OSError, ValueError):
        return MISSING
    return snapshot["data"] if snapshot.get("sha256") == sha256(text) else MISSING


def dumps_snapshot(name: str, text: str) -> str:
    """The snapshot of ``name`` parsed from ``text``. Refuses data JSON cannot hold exactly
    (keys that are not strings, dates): such a file stays YAML-only."""
    data = parse_yaml(text)
    snapshot = {
        "generated_from": name,
        "sha256": sha256(text),
        "note": "Written by `python -m backclf.knowledge.files`; do not edit.",
        "data": data,
    }
    out = json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n"
    if repr(json.loads(out)["data"]) != repr(data):
        raise ValueError(f"{name}: its data does not survive JSON exactly; keep it YAML-only")
    return out


def write_snapshots() -> list[str]:
    """Write the snapshots from the YAML in the source tree; the names of those that changed."""
    folder = Path(__file__).with_name("snapshots")
    folder.mkdir(exist_ok=True)
    changed = []
    for name in SNAPSHOTS:
        out = dumps_snapshot(name, read_text(name))
        target = folder / snapshot_name(name)
        if not target.is_file() or target.read_text(encoding="utf-8") != out:
            target.write_text(out, encoding="utf-8")
            changed.append(name)
    return changed


if __name__ == "__main__":
    changed = write_snapshots()
    print(f"snapshots written: {', '.join(changed)}" if changed else "snapshots are current")
