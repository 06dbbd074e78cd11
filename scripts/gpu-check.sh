#!/usr/bin/env bash
# Verifies GridTrain's real GPU paths on a machine with an NVIDIA GPU, in one run:
#   1. NVML: `gridtrain agent gpus` lists the same GPUs (UUIDs) as nvidia-smi, with readings.
#   2. CUDA: `gridtrain agent gpus --cuda` runs a matmul on every device through TorchSharp's libtorch
#      (needs a CUDA libtorch: the agent image, or a build with one; a CPU build fails here, by design).
#   3. Agent: a controller and an agent on loopback; the agent advertises the NVML GPUs, a GPU session is
#      placed on it, and its /metrics shows per-GPU series labelled with that session (promtool-clean
#      when promtool is installed).
# Exit 0 when everything holds; otherwise the first failure is printed and the exit code is non-zero.
#
# Usage:
#   scripts/gpu-check.sh                               # builds src/GridTrain.Cli (Release) and uses it
#   GRIDTRAIN="dotnet /app/gridtrain.dll" scripts/gpu-check.sh   # an installed CLI, e.g. in the agent image:
#   docker run --rm --gpus all -v "$PWD/scripts:/scripts:ro" --entrypoint bash \
#     registry.example.com/gridtrain/agent:0.1.0 /scripts/gpu-check.sh
# Needs: bash, nvidia-smi, curl; the .NET SDK only when it builds the CLI.
set -euo pipefail

fail() { echo "gpu-check: FAIL: $*" >&2; exit 1; }
step() { echo "gpu-check: $*"; }

command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: not a GPU machine (or the NVIDIA runtime did not mount the driver's utilities)"
command -v curl >/dev/null || fail "curl not found"
nvidia-smi -L >/dev/null || fail "nvidia-smi cannot talk to the driver"

if [ -z "${GRIDTRAIN:-}" ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  step "building the CLI (Release)"
  dotnet build "$root/src/GridTrain.Cli" -c Release -v quiet -nologo >/dev/null
  GRIDTRAIN="dotnet $root/src/GridTrain.Cli/bin/Release/net10.0/gridtrain.dll"
fi
read -r -a cli <<<"$GRIDTRAIN"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# 1. NVML against nvidia-smi.
step "NVML: comparing GPUs with nvidia-smi"
"${cli[@]}" agent gpus >"$work/gpus.txt" 2>"$work/gpus.err" || { cat "$work/gpus.err" >&2; fail "gridtrain agent gpus exited with $?"; }
cat "$work/gpus.txt"
expected="$(nvidia-smi --query-gpu=uuid --format=csv,noheader | sed 's/ //g' | sort)"
found="$(sed -n 's/^gpu [0-9]* uuid=\([^ ]*\) .*/\1/p' "$work/gpus.txt" | sort)"
[ -n "$found" ] || fail "NVML found no GPU: $(cat "$work/gpus.err")"
[ "$expected" = "$found" ] || fail "GPU UUIDs differ: nvidia-smi [$expected], NVML [$found]"
grep -q 'utilization=n/a' "$work/gpus.txt" && step "note: a GPU reports no utilization (shown as n/a, exported as no series)"
gpu_count="$(wc -l <<<"$found")"

# 2. CUDA through TorchSharp.
step "CUDA: a matmul on every device through TorchSharp"
"${cli[@]}" agent gpus --cuda >"$work/cuda.txt" 2>"$work/cuda.err" || { cat "$work/cuda.txt" "$work/cuda.err" >&2; fail "CUDA check failed"; }
grep '^cuda' "$work/cuda.txt"

# 3. A controller and an agent on loopback.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || shuf -i 20000-60000 -n 1; }
grpc_port="$(port)"; controller_metrics="$(port)"; agent_metrics="$(port)"
step "starting a controller on 127.0.0.1:$grpc_port and an agent with metrics on 127.0.0.1:$agent_metrics"
"${cli[@]}" controller run --listen "127.0.0.1:$grpc_port" --metrics-listen "127.0.0.1:$controller_metrics" --data-dir "$work/controller" >"$work/controller.log" 2>&1 &
pids+=("$!")
export GRIDTRAIN_CONTROLLER="http://127.0.0.1:$grpc_port"
"${cli[@]}" agent run --name gpu-check --work-dir "$work/agent" --cpu-slots 0 --metrics-listen "127.0.0.1:$agent_metrics" >"$work/agent.log" 2>&1 &
pids+=("$!")

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$work/controller.log" "$work/agent.log" >&2; fail "timed out waiting for $what"; }
    sleep 1
  done
}
wait_for 60 "the agent to be ready" curl -fsS "http://127.0.0.1:$agent_metrics/readyz"
"${cli[@]}" agent ls --output json >"$work/agents.json"
advertised="$(grep -o '"uuid": *"[^"]*"' "$work/agents.json" | sed 's/.*"\(GPU-[^"]*\)"/\1/' | sort)"
[ "$advertised" = "$found" ] || fail "the agent advertised [$advertised], NVML found [$found]"

session="$("${cli[@]}" session create --runtime gpu --gpus 1 --name gpu-check --output json | grep -o '"id": *"ses-[^"]*"' | head -n 1 | sed 's/.*"\(ses-[^"]*\)"/\1/')"
[ -n "$session" ] || fail "could not create a GPU session"
step "session $session created; waiting for its GPU series on the agent"
wait_for 60 "a GPU series labelled session=\"$session\"" grep -q "session=\"$session\"" <(curl -fsS "http://127.0.0.1:$agent_metrics/metrics")
curl -fsS "http://127.0.0.1:$agent_metrics/metrics" >"$work/agent-metrics.txt"
grep "^gridtrain_gpu_" "$work/agent-metrics.txt"
series="$(grep -c '^gridtrain_gpu_memory_total_bytes{' "$work/agent-metrics.txt")"
[ "$series" -eq "$gpu_count" ] || fail "$series memory_total series for $gpu_count GPUs"
if command -v promtool >/dev/null; then
  promtool check metrics <"$work/agent-metrics.txt" || fail "promtool check metrics found problems"
fi

step "OK: NVML, CUDA and the agent's GPU metrics agree ($gpu_count GPU(s))"
