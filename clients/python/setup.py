"""Builds the gridtrain package: the message and stub modules are generated from the repository's protos/ into the
build directory (generate_protos.py), never kept in the source tree's history."""
from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate_protos  # noqa: E402


class BuildWithGeneratedStubs(build_py):
    """build_py that also writes gridtrain/v1 (and gridtrain/_vendor) from protos/."""

    def run(self) -> None:
        super().run()
        protos = Path(generate_protos.os.environ.get("GRIDTRAIN_PROTOS", generate_protos.DEFAULT_PROTOS))
        try:
            written = generate_protos.generate(protos, Path(self.build_lib))
        except generate_protos.GenerationError as error:
            raise SystemExit(f"gridtrain: cannot generate the gRPC modules: {error}") from error
        self.announce(f"generated {len(written)} modules from {protos}", level=2)


setup(cmdclass={"build_py": BuildWithGeneratedStubs})
