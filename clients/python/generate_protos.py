#!/usr/bin/python3
"""Generates gridtrain's message and stub modules from the repository's protos/ (every .proto under it).

    python3 generate_protos.py                # writes src/gridtrain/v1/ (and src/gridtrain/_vendor/ for imported
                                              # non-gridtrain protos such as google/api/*), gitignored
    python3 generate_protos.py --out DIR      # writes DIR/gridtrain/... instead (what the package build does)
    python3 generate_protos.py --check        # exits 1, naming the files, when src/gridtrain's generated modules
                                              # are missing or differ from what protos/ gives now

The compiler is grpcio-tools' bundled protoc when importable, else Debian's protoc (protobuf-compiler) with
grpc_python_plugin (protobuf-compiler-grpc). Generated code is never edited by hand: the only change made to
protoc's output is moving non-gridtrain protos (e.g. google/api) under gridtrain._vendor and pointing their
imports there, so they cannot clash with other packages' copies of the same Python modules.
"""
from __future__ import annotations

import argparse
import filecmp
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PROTOS = HERE.parent.parent / "protos"
PACKAGE = "gridtrain"
VENDOR = "_vendor"
MANIFEST = "_generated_from.py"


class GenerationError(Exception):
    """The protos could not be compiled; the message says why and what to install."""


def proto_files(protos: Path) -> list[Path]:
    files = sorted(p.relative_to(protos) for p in protos.rglob("*.proto"))
    if not any(f.parts[0] == PACKAGE for f in files):
        raise GenerationError(f"{protos}: no gridtrain/*.proto files; pass --protos DIR (the repository's protos/)")
    return files


def digest(protos: Path, files: list[Path]) -> str:
    sha = hashlib.sha256()
    for f in files:
        sha.update(f.as_posix().encode() + b"\0" + (protos / f).read_bytes() + b"\0")
    return sha.hexdigest()


def _compiler() -> tuple[list[str], list[str]]:
    """The protoc command line prefix and the include directories for the well-known types."""
    tools = importlib.util.find_spec("grpc_tools")
    if tools is not None and tools.origin is not None and importlib.util.find_spec("grpc_tools.protoc") is not None:
        return [sys.executable, "-m", "grpc_tools.protoc"], [str(Path(tools.origin).parent / "_proto")]
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        raise GenerationError(
            "no protobuf compiler: install grpcio-tools (pip) or Debian's protobuf-compiler and protobuf-compiler-grpc "
            f"(found protoc: {protoc}, grpc_python_plugin: {plugin})")
    includes = [d for d in ("/usr/include", "/usr/local/include") if Path(d, "google/protobuf/timestamp.proto").exists()]
    return [protoc, f"--plugin=protoc-gen-grpc_python={plugin}"], includes


def generate(protos: Path, out: Path) -> list[Path]:
    """Writes OUT/gridtrain/<generated modules>; returns the written files relative to OUT/gridtrain."""
    files = proto_files(protos)
    command, includes = _compiler()
    with tempfile.TemporaryDirectory() as raw:
        args = [*command, f"-I{protos}", *(f"-I{d}" for d in includes),
                f"--python_out={raw}", f"--pyi_out={raw}", f"--grpc_python_out={raw}", *map(str, files)]
        result = subprocess.run(args, capture_output=True, text=True)
        if result.returncode != 0:
            raise GenerationError(f"protoc failed ({' '.join(args[:2])} ...):\n{result.stderr.strip()}")
        return _place(Path(raw), out / PACKAGE, files, digest(protos, files))


def _place(raw: Path, package: Path, files: list[Path], protos_digest: str) -> list[Path]:
    vendored = sorted({".".join(f.parts[:-1]) for f in files if f.parts[0] != PACKAGE and len(f.parts) > 1})
    rewrite = re.compile(r"^(from|import) (" + "|".join(map(re.escape, vendored)) + r")\b", re.M) if vendored else None
    written: list[Path] = []
    for source in sorted(p for p in raw.rglob("*") if p.is_file()):
        relative = source.relative_to(raw)
        target = Path(*relative.parts[1:]) if relative.parts[0] == PACKAGE else Path(VENDOR, *relative.parts)
        text = source.read_text()
        if rewrite is not None:
            text = rewrite.sub(lambda m: f"{m.group(1)} {PACKAGE}.{VENDOR}.{m.group(2)}", text)
        written.append(_write(package / target, text))
    for directory in sorted({w.relative_to(package).parent for w in written}):
        while directory.parts:
            if not (package / directory / "__init__.py").exists():
                written.append(_write(package / directory / "__init__.py", ""))
            directory = directory.parent
    written.append(_write(package / MANIFEST,
                          '"""Written by generate_protos.py: which protos the generated modules come from."""\n'
                          f"PROTOS_SHA256 = {protos_digest!r}\n"
                          f"PROTO_FILES = {tuple(f.as_posix() for f in files)!r}\n"))
    return sorted({w.relative_to(package) for w in written})


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def generated_paths(package: Path) -> list[Path]:
    """The generated files present in an existing package directory."""
    found = [p for d in ("v1", VENDOR) for p in (package / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    found += [package / MANIFEST] if (package / MANIFEST).exists() else []
    return sorted(p.relative_to(package) for p in found)


def stale(protos: Path, package: Path) -> list[str]:
    """What differs between the generated modules in PACKAGE and a fresh generation from PROTOS; empty when fresh."""
    with tempfile.TemporaryDirectory() as fresh_root:
        fresh = Path(fresh_root) / PACKAGE
        expected = set(generate(protos, Path(fresh_root)))
        present = set(generated_paths(package))
        problems = [f"missing: {p}" for p in sorted(expected - present)]
        problems += [f"not generated from protos/ (delete it): {p}" for p in sorted(present - expected) if p.name != "__init__.py"]
        problems += [f"stale: {p}" for p in sorted(expected & present) if not filecmp.cmp(fresh / p, package / p, shallow=False)]
        return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protos", type=Path, default=Path(os.environ.get("GRIDTRAIN_PROTOS", DEFAULT_PROTOS)),
                        help="the repository's protos/ directory [env: GRIDTRAIN_PROTOS]")
    parser.add_argument("--out", type=Path, default=HERE / "src", help="directory that holds the gridtrain package")
    parser.add_argument("--check", action="store_true", help="fail when the generated modules are missing or stale")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale(args.protos, args.out / PACKAGE)
            if problems:
                print(f"gridtrain's generated modules under {args.out / PACKAGE} do not match {args.protos}:", file=sys.stderr)
                print("\n".join("  " + p for p in problems), file=sys.stderr)
                print(f"regenerate with: python3 {Path(__file__).name}", file=sys.stderr)
                return 1
            print(f"generated modules match {args.protos}")
            return 0
        for directory in ("v1", VENDOR):
            shutil.rmtree(args.out / PACKAGE / directory, ignore_errors=True)
        written = generate(args.protos, args.out)
        print(f"generated {len(written)} files under {args.out / PACKAGE} from {args.protos}")
        return 0
    except GenerationError as error:
        print(f"generate_protos.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
