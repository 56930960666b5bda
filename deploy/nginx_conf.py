"""deploy/nginx.conf rendered for other addresses: one upstream `server` line per replica.

    python deploy/nginx_conf.py 127.0.0.1:8001 127.0.0.1:8002 --listen 127.0.0.1:8000 \
        --set client_header_timeout=2s > nginx.conf

The committed file is the Compose setup (`server app:8000 ...;`, `listen 80;`); rendering keeps
every other line, so local runs and tests use the same configuration as the container.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")
UPSTREAM_SERVER = re.compile(r"^(\s*)server\s+app:8000(\s[^;]*)?;$", re.M)
LISTEN = re.compile(r"^(\s*)listen\s+[^;]+;$", re.M)


def set_directive(text: str, name: str, value: str) -> str:
    """The first `name ...;` line (the outermost, as the file is laid out) given `value`."""
    pattern = re.compile(rf"^(\s*){re.escape(name)}\s+[^;]*;", re.M)
    text, count = pattern.subn(lambda m: f"{m.group(1)}{name} {value};", text, count=1)
    if count == 0:
        raise ValueError(f"no `{name}` directive in {TEMPLATE.name}")
    return text


def render(
    replicas: Sequence[str],
    listen: str,
    settings: Mapping[str, str] | None = None,
    template: str | None = None,
) -> str:
    """The configuration for `replicas` ("host:port" each), listening on `listen`.

    `settings` replaces the value of directives by name (e.g. shorter timeouts in tests, log
    files instead of stdout).
    """
    if not replicas:
        raise ValueError("at least one replica")
    text = template if template is not None else TEMPLATE.read_text()
    match = UPSTREAM_SERVER.search(text)
    if match is None:
        raise ValueError("no `server app:8000` line in the upstream block")
    indent, params = match.group(1), match.group(2) or ""
    servers = "\n".join(f"{indent}server {addr}{params};" for addr in replicas)
    text = text[: match.start()] + servers + text[match.end() :]
    text = LISTEN.sub(lambda m: f"{m.group(1)}listen {listen};", text, count=1)
    for name, value in (settings or {}).items():
        text = set_directive(text, name, value)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("replicas", nargs="+", help="host:port of each replica")
    parser.add_argument("--listen", default="127.0.0.1:8000")
    parser.add_argument("--set", action="append", default=[], metavar="DIRECTIVE=VALUE")
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    sys.stdout.write(render(args.replicas, args.listen, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
