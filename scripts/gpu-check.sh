#!/usr/bin/env bash
# The one proof of GridTrain's GPU paths, on a machine with or without an NVIDIA GPU. It starts a controller and an
# agent on loopback, with an admin token and a join token, from a self-contained published build (the GPU machine
# needs no .NET SDK), then checks, one step at a time:
#   build, controller, agent, controller-metrics, agent-metrics   (every machine)
#   nvml-inventory   `gridtrain agent gpus` lists the GPUs nvidia-smi lists (UUIDs)
#   advertised       the agent advertises exactly those GPUs to the controller
#   gpu-health       every GPU is in service (`gridtrain agent gpus AGENT`)
#   gpu-metrics      the agent's /metrics has each GPU's readings and gridtrain_gpu_healthy 1
#   cuda             `gridtrain agent gpus --cuda`: a matmul on every device through TorchSharp (needs a CUDA libtorch)
#   job-sees-gpu, busy-gpu, idle-gpu, why-idle
#                    command jobs (`gridtrain job submit --session S -- python3 …`) run the machine's PyTorch on CUDA:
#                    the job sees exactly its session's GPU, a busy GPU reads high utilization and an idle one low,
#                    and a session whose job idles its GPU is called stalled by `session why-idle`
# Each step prints PASS, FAIL or SKIP with the reason. Without a GPU every GPU step is SKIP and the exit code is 0; the
# exit code is 1 when any step FAILs. Under 10 minutes (the publish takes most of it; reuse one with GRIDTRAIN_APP).
#
# Usage (see docs/gpu.md):
#   scripts/gpu-check.sh                         # publishes src/GridTrain.Cli self-contained for linux-x64, then checks
#   GRIDTRAIN_APP=DIR scripts/gpu-check.sh       # a published build: DIR/gridtrain (self-contained) or DIR/gridtrain.dll
# Needs: bash, coreutils, grep, sed; nvidia-smi on a GPU machine; the .NET SDK only to publish; python3 with PyTorch
# for the command-job steps. No curl: HTTP goes through bash's /dev/tcp.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pids=()
failed=0
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "gpu-check: PASS $1: $2"; }
fail() { echo "gpu-check: FAIL $1: $2"; failed=1; }
skip() { echo "gpu-check: SKIP $1: $2"; }
logs() { tail -n 20 "$work"/*.log 2>/dev/null | sed 's/^/    /'; }

# http_get HOST:PORT PATH: the response body, through bash's /dev/tcp (HTTP/1.0, so the server closes when done).
http_get() {
  local host="${1%:*}" port="${1##*:}" response
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$1" >&3
  response="$(cat <&3)"
  exec 3<&-
  [[ "$response" == "HTTP/1."?" 200"* ]] || return 1
  printf '%s\n' "${response#*$'\r\n\r\n'}"
}

# wait_until SECONDS COMMAND...: runs COMMAND again every half second (fresh each time) until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# --- build -----------------------------------------------------------------------------------------------------
app="${GRIDTRAIN_APP:-}"
if [ -z "$app" ]; then
  app="$work/app"
  if dotnet publish "$root/src/GridTrain.Cli/GridTrain.Cli.csproj" -c Release -r linux-x64 --self-contained -o "$app" -v quiet -nologo >"$work/publish.log" 2>&1; then
    pass build "published self-contained for linux-x64 into $app"
  else
    fail build "dotnet publish failed: $(tail -n 5 "$work/publish.log")"
    exit 1
  fi
else
  pass build "using the published build in $app"
fi
if [ -x "$app/gridtrain" ]; then
  cli=("$app/gridtrain")
elif [ -f "$app/gridtrain.dll" ]; then
  cli=(dotnet "$app/gridtrain.dll")
else
  fail build "$app holds neither gridtrain nor gridtrain.dll"
  exit 1
fi

# --- controller and agent, with tokens --------------------------------------------------------------------------
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
admin_token="gpucheck-admin-$(token)"; join_token="gpucheck-join-$(token)"
printf '%s' "$admin_token" >"$work/admin.token"; printf '%s' "$join_token" >"$work/join.token"
chmod 600 "$work/admin.token" "$work/join.token"
export GRIDTRAIN_TOKEN="$admin_token"
unset GRIDTRAIN_ADMIN_TOKEN GRIDTRAIN_JOIN_TOKEN

"${cli[@]}" controller run --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --data-dir "$work/controller" \
  --admin-token-file "$work/admin.token" --join-token-file "$work/join.token" --heartbeat-interval 1s \
  --stall-timeout 60s --gpu-stall-threshold 0.05 >"$work/controller.log" 2>&1 &
pids+=("$!")
if wait_until 60 grep -q '^metrics on ' "$work/controller.log"; then
  controller="$(sed -n 's/^listening on //p' "$work/controller.log" | head -n 1)"
  controller_metrics="$(sed -n 's|^metrics on http://\([^/]*\).*|\1|p' "$work/controller.log" | head -n 1)"
  pass controller "listening on $controller with an admin token and a join token"
else
  fail controller "did not start within 60s:"; logs
  exit 1
fi
export GRIDTRAIN_CONTROLLER="$controller"

agent=gpu-check
"${cli[@]}" agent run --name "$agent" --work-dir "$work/agent" --cpu-slots 1 --join-token-file "$work/join.token" \
  --metrics-listen 127.0.0.1:0 >"$work/agent.log" 2>&1 &
pids+=("$!")
agent_registered() { "${cli[@]}" agent ls --output json | grep -q "\"name\": *\"$agent\""; }
if wait_until 60 agent_registered && wait_until 30 grep -q 'metrics on ' "$work/agent.log"; then
  agent_metrics="$(sed -n 's|.*metrics on http://\([^/ ]*\).*|\1|p' "$work/agent.log" | head -n 1)"
  pass agent "registered with the join token; metrics on $agent_metrics"
else
  fail agent "did not register within 60s:"; logs
  exit 1
fi

if http_get "$controller_metrics" /metrics >"$work/controller-metrics.txt" && grep -q '^gridtrain_agents{' "$work/controller-metrics.txt"; then
  pass controller-metrics "the controller's /metrics counts the agent"
else
  fail controller-metrics "no gridtrain_agents series at http://$controller_metrics/metrics"
fi

agent_connected() { http_get "$agent_metrics" /metrics | grep -Eq '^gridtrain_agent_connected(\{[^}]*\})? 1$'; }
if wait_until 30 agent_connected; then
  pass agent-metrics "the agent's /metrics says it is connected"
else
  fail agent-metrics "no gridtrain_agent_connected 1 at http://$agent_metrics/metrics"
fi

# --- GPU steps --------------------------------------------------------------------------------------------------
gpu_steps=(nvml-inventory advertised gpu-health gpu-metrics cuda job-sees-gpu busy-gpu idle-gpu why-idle)
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  for step in "${gpu_steps[@]}"; do skip "$step" "no GPU: nvidia-smi is missing or cannot reach a driver"; done
  exit "$failed"
fi
# shellcheck source=scripts/gpu-check-gpu.sh
source "$root/scripts/gpu-check-gpu.sh"
exit "$failed"
