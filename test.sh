#!/usr/bin/env bash
# The one test command: installs the Debian packages the tests need when any is missing, then runs every test
# (dotnet test over GridTrain.sln) and ends with "N passed, N failed" counted from the test results.
#
#   ./test.sh                  set up what is missing, then run every test
#   ./test.sh --setup-only     only install what is missing
#   ./test.sh --check          say what is missing and exit 1 if anything is; install nothing
#   ./test.sh ARGS...          extra arguments for dotnet test, e.g. ./test.sh --filter FullyQualifiedName~Chart
#
# As root it installs with apt-get (Debian 12); as another user it prints the exact command to run and stops.
# On a machine already set up, `dotnet test` alone runs the same tests.
set -euo pipefail
cd "$(dirname "$0")"

# What the tests need from Debian, and who needs it:
packages=(
  dataset-fashion-mnist        # the demo and training tests: the real Fashion-MNIST
  postgresql                   # the storage contract tests start their own PostgreSQL 15
  prometheus                   # promtool for the metrics lint and dashboards; a real Prometheus for the panel tests
  python3-grpcio               # an independent gRPC client (C core) for the interop tests
  python3-torch                # PyTorch reloads TorchScript modules GridTrain trained
  python3-pytest               # the Python client's tests (clients/python)
  python3-protobuf             # the Python client's messages
  python3-setuptools           # the Python client's package build
  python3-venv                 # the Python client's tests install it into a virtual environment
  python3-tqdm                 # the Python client's progress bars
  protobuf-compiler            # protoc, generating the Python client's messages
  protobuf-compiler-grpc       # grpc_python_plugin, generating the Python client's stubs
  chromium                     # the web console's browser tests, headless
  chromium-driver              # chromedriver for them
  golang-go                    # builds helmrender, the chart tests' stand-in for `helm template` (../shared/tools/helmrender)
  golang-github-masterminds-sprig-dev  # sprig, the template functions helmrender links (GOPATH mode, offline)
  python3-yaml                 # helmrender's manifest and schema checks
  python3-jsonschema           # values.schema.json checked like `helm install` does
  python3-kubernetes           # the Kubernetes API's own models, to validate rendered manifests
)

mode=test
case "${1:-}" in
  --setup-only) mode=setup; shift ;;
  --check) mode=check; shift ;;
esac

missing=()
for package in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: missing Debian packages: ${missing[*]}"
  if [ "$mode" = check ]; then
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "test.sh: not root, so not installing them; run:"
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
    echo "then ./test.sh again."
    exit 2
  fi
  if ! command -v apt-get >/dev/null; then
    echo "test.sh: no apt-get here; install the packages above (Debian 12 names) by other means." >&2
    exit 2
  fi
  apt-get update -qq
  # Waits for another apt/dpkg run to release its lock rather than failing.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
  echo "test.sh: installed ${missing[*]}"
elif [ "$mode" != test ]; then
  echo "test.sh: every test package is installed"
fi

if [ "$mode" != test ]; then
  exit 0
fi

if ! command -v dotnet >/dev/null; then
  echo "test.sh: dotnet not found: install the .NET SDK that global.json names (10.0), e.g. with dotnet-install.sh --channel 10.0" >&2
  exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

set +e
dotnet test GridTrain.sln --logger trx --results-directory "$results" "$@" 2>&1
status=$?
set -e

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host broke before results were written: count that as a failure.
  failed=1
fi

echo "$passed passed, $failed failed"
exit "$status"
