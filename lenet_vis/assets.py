"""Where the files that ship inside the package live, found through importlib.resources.

The same paths hold in a source checkout, an editable install and an installed wheel; every
file under static/ (vendor/ included), templates/, weights/ and data/ is package data.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("lenet_vis")))
WEIGHTS = PACKAGE / "weights" / "lenet.npz"  # and lenet.json beside it
SAMPLES = PACKAGE / "data" / "mnist_test_2000.npz"  # MNIST test digits, CC BY-SA 3.0
STATIC = PACKAGE / "static"
TEMPLATES = PACKAGE / "templates"
SWAGGER_UI = STATIC / "vendor" / "swagger-ui"  # swagger-ui-dist from npm, see its MANIFEST
