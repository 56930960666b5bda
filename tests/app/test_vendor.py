"""The vendored three.js is the pinned file: its SHA-256 matches the record, its licence ships."""

import hashlib
import re

from lenet_vis.assets import STATIC

THREE = STATIC / "vendor" / "three"


def recorded() -> dict[str, str]:
    lines = (THREE / "VERSION").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_vendored_three_matches_its_recorded_sha256():
    record = recorded()
    data = (THREE / record["file"]).read_bytes()
    assert re.fullmatch(r"[0-9a-f]{64}", record["sha256"])
    assert hashlib.sha256(data).hexdigest() == record["sha256"]


def test_vendored_three_is_the_recorded_version_and_one_self_contained_file():
    record = recorded()
    text = (THREE / record["file"]).read_text()
    revision = record["version"].split(".")[1]
    assert re.search(rf'const \w+="{revision}"', text[:400])  # three.REVISION opens the file
    assert not re.search(r"""\bfrom\s*["']|\bimport\s*\(""", text)  # imports nothing else


def test_vendored_three_ships_its_mit_licence():
    licence = (THREE / "LICENSE").read_text()
    assert "The MIT License" in licence
    assert "three.js authors" in licence
