"""The README's configuration table, printed from the settings themselves (`server/config.py`'s
`Config`: each field's environment variable, default and meaning), so that it cannot drift.

    python scripts/config_table.py            # print the table
    python scripts/config_table.py --write    # put it into README.md in place of the old one
    python scripts/config_table.py --check    # exit 1 when README.md's table differs

tests/unit/test_settings_table.py fails when the README's table is not this script's output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from server.config import env_name, from_environment

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "| variable | default | meaning |\n| --- | --- | --- |\n"


def default_text(name: str, info: FieldInfo) -> str:
    """The default as the README shows it: what an unset or empty default means, else the value
    (a whole float as an integer; sizes in bytes with their KiB or MiB)."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get("shown"):
        return str(extra["shown"])
    value: Any = info.get_default(call_default_factory=True)
    if value is None or value == "":
        raise ValueError(f"{name}: an unset default needs the words of `shown`")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`{value}`"
    if isinstance(value, dict):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if name.endswith("_BYTES") and isinstance(value, int) and value >= 1024 and value % 1024 == 0:
        text += f" ({value // 1048576} MiB)" if value % 1048576 == 0 else f" ({value // 1024} KiB)"
    return text


def table() -> str:
    rows = [f"| `{env_name(name)}` | {default_text(name, info)} | {info.description} |\n"
            for name, info in from_environment().items()]
    return HEADER + "".join(rows)


def span(readme: str) -> tuple[int, int]:
    """Where the table of the README's "## Configuration" section starts and ends."""
    section = readme.index("\n## Configuration\n")
    start = readme.index(HEADER, section)
    end = start
    while end < len(readme) and readme.startswith("|", end):
        end = readme.index("\n", end) + 1
    return start, end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help="replace the table in the README")
    what.add_argument("--check", action="store_true", help="exit 1 when the README differs")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(table())
        return 0
    text = args.readme.read_text(encoding="utf-8")
    start, end = span(text)
    if args.check:
        if text[start:end] != table():
            print(f"{args.readme}: the configuration table differs from the settings; "
                  "run: python scripts/config_table.py --write", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(text[:start] + table() + text[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
