#!/usr/bin/env bash
# The publish step of both images (Dockerfile.controller and Dockerfile.agent run exactly this), also run by the
# tests (tests/GridTrain.IntegrationTests/Deployment/ImagePublishTests.cs), so it is checked without an engine.
#
#   scripts/publish-image.sh OUTPUT_DIR [more dotnet publish arguments]
#
# Publishes the gridtrain CLI (controller, agent and the job process GridTrain.Worker.dll) for .NET 10, Release,
# framework-dependent, with the linux-x64 native assets only, and without libtorch (-p:GridTrainLibTorch=none):
# the controller never loads it, and the agent image adds CUDA libtorch 2.10.0 itself.
set -euo pipefail
out="${1:?usage: scripts/publish-image.sh OUTPUT_DIR [dotnet publish arguments]}"
shift
cd "$(dirname "$0")/.."
dotnet publish src/GridTrain.Cli/GridTrain.Cli.csproj -c Release -o "$out" -p:UseAppHost=false -p:GridTrainLibTorch=none "$@"
find "$out/runtimes" -mindepth 1 -maxdepth 1 -type d ! -name linux-x64 -exec rm -rf {} +
if find "$out" \( -name 'libtorch*' -o -name 'libc10*' \) | grep -q .; then
  echo "publish-image.sh: libtorch found in $out; -p:GridTrainLibTorch=none did not remove it" >&2
  exit 1
fi
