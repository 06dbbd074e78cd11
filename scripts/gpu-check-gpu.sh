# The GPU steps of scripts/gpu-check.sh, sourced by it once nvidia-smi reaches a driver; uses its helpers and variables
# (cli, agent, agent_metrics, work, pass/fail/skip, http_get, wait_until). Not meant to run alone.

# nvml-inventory: NVML (through gridtrain) against nvidia-smi.
expected="$(nvidia-smi --query-gpu=uuid --format=csv,noheader | sed 's/ //g' | sort)"
"${cli[@]}" agent gpus >"$work/gpus.txt" 2>"$work/gpus.err"
found="$(sed -n 's/^gpu [0-9]* uuid=\([^ ]*\) .*/\1/p' "$work/gpus.txt" | sort)"
gpu_count="$(grep -c . <<<"$found")"
if [ -n "$found" ] && [ "$expected" = "$found" ]; then
  pass nvml-inventory "$gpu_count GPU(s), the same UUIDs as nvidia-smi"
else
  fail nvml-inventory "nvidia-smi lists [$expected], NVML [$found] $(cat "$work/gpus.err")"
fi

# advertised: what the agent registered with.
"${cli[@]}" agent ls --output json >"$work/agents.json"
advertised="$(grep -o '"uuid": *"GPU-[^"]*"' "$work/agents.json" | sed 's/.*"\(GPU-[^"]*\)"/\1/' | sort -u)"
if [ "$advertised" = "$found" ]; then pass advertised "the agent advertises the NVML GPUs"; else fail advertised "the agent advertised [$advertised], NVML found [$found]"; fi

# gpu-health: every GPU in service, as the controller knows it.
"${cli[@]}" agent gpus "$agent" >"$work/agent-gpus.txt" 2>&1
unhealthy="$(grep -c 'unhealthy' "$work/agent-gpus.txt")"
if [ "$unhealthy" -eq 0 ] && grep -q 'healthy' "$work/agent-gpus.txt"; then
  pass gpu-health "every GPU in service"
else
  fail gpu-health "$(grep -v ' healthy ' "$work/agent-gpus.txt")"
fi

# gpu-metrics: the agent's /metrics carries each GPU.
metrics_ready() { http_get "$agent_metrics" /metrics >"$work/agent-metrics.txt" && [ "$(grep -c '^gridtrain_gpu_healthy{' "$work/agent-metrics.txt")" -eq "$gpu_count" ]; }
if wait_until 30 metrics_ready && [ "$(grep -c '^gridtrain_gpu_memory_total_bytes{' "$work/agent-metrics.txt")" -eq "$gpu_count" ] \
  && [ "$(grep -c '^gridtrain_gpu_healthy{.* 1$' "$work/agent-metrics.txt")" -eq "$gpu_count" ]; then
  pass gpu-metrics "readings and gridtrain_gpu_healthy 1 for each of $gpu_count GPU(s) at http://$agent_metrics/metrics"
else
  fail gpu-metrics "$(grep '^gridtrain_gpu_' "$work/agent-metrics.txt" | head -n 20)"
fi

# cuda: TorchSharp's libtorch on every device (the path built-in jobs take).
if "${cli[@]}" agent gpus --cuda >"$work/cuda.txt" 2>&1; then
  pass cuda "$(grep '^cuda' "$work/cuda.txt" | tr '\n' ' ')"
elif grep -qi 'libtorch\|cuda is not available\|no cuda' "$work/cuda.txt"; then
  skip cuda "this build's libtorch has no CUDA (the agent image adds CUDA libtorch): $(tail -n 1 "$work/cuda.txt")"
else
  fail cuda "$(tail -n 5 "$work/cuda.txt")"
fi

# Command jobs: the machine's own PyTorch on CUDA, through `job submit --session S -- COMMAND`.
job_steps=(job-sees-gpu busy-gpu idle-gpu why-idle)
if ! "${cli[@]}" job submit --help 2>&1 | grep -q -- '-- COMMAND\|-- <COMMAND\|\[--\] COMMAND\|after --'; then
  for step in "${job_steps[@]}"; do skip "$step" "command jobs not available in this build"; done
  return 0
fi
if ! /usr/bin/python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for step in "${job_steps[@]}"; do skip "$step" "/usr/bin/python3 has no PyTorch with CUDA"; done
  return 0
fi

session="$("${cli[@]}" session create --runtime gpu --gpus 1 --name gpu-check --output json | grep -o '"id": *"ses-[^"]*"' | head -n 1 | sed 's/.*"\(ses-[^"]*\)"/\1/')"
session_ready() { "${cli[@]}" session get "$session" --output json | grep -q '"state": *"SESSION_STATE_\(READY\|BUSY\)"'; }
if [ -z "$session" ] || ! wait_until 60 session_ready; then
  for step in "${job_steps[@]}"; do fail "$step" "no GPU session became ready"; done
  return 0
fi
gpu_index="$("${cli[@]}" session get "$session" --output json | tr -d ' \n' | sed -n 's/.*"gpuIndexes":\[\([0-9]*\).*/\1/p')"
gpu_uuid="$(nvidia-smi --query-gpu=index,uuid --format=csv,noheader | sed -n "s/^$gpu_index, *//p")"

# job-sees-gpu: exactly one device, the session's (CUDA_VISIBLE_DEVICES names it; NVML's UUID matches).
"${cli[@]}" job submit --session "$session" --wait -- /usr/bin/python3 -c '
import os, torch
print("visible", os.environ.get("CUDA_VISIBLE_DEVICES", ""), "count", torch.cuda.device_count())
print("uuid", str(torch.cuda.get_device_properties(0).uuid) if hasattr(torch.cuda.get_device_properties(0), "uuid") else "")
' >"$work/job-sees.txt" 2>&1
if grep -q "visible $gpu_index count 1" "$work/job-sees.txt" && { ! grep -q '^uuid .' "$work/job-sees.txt" || grep -qi "uuid ${gpu_uuid#GPU-}" "$work/job-sees.txt"; }; then
  pass job-sees-gpu "the job sees only GPU $gpu_index ($gpu_uuid)"
else
  fail job-sees-gpu "expected only GPU $gpu_index ($gpu_uuid): $(tail -n 5 "$work/job-sees.txt")"
fi

# busy-gpu and idle-gpu: utilization as the agent reports it for the session while a job works, then sleeps.
utilization() { http_get "$agent_metrics" /metrics | sed -n "s/^gridtrain_gpu_utilization_ratio{.*gpu_index=\"$gpu_index\".*} \([0-9.e+-]*\)$/\1/p" | head -n 1; }
"${cli[@]}" job submit --session "$session" -- /usr/bin/python3 -c '
import time, torch
x = torch.randn(8192, 8192, device="cuda")
end = time.time() + 60
while time.time() < end:
    x = (x @ x).clamp_(-1, 1)
torch.cuda.synchronize()
' >"$work/busy.txt" 2>&1
busy() { u="$(utilization)"; [ -n "$u" ] && awk -v u="$u" 'BEGIN { exit !(u >= 0.5) }'; }
if wait_until 45 busy; then pass busy-gpu "GPU $gpu_index reads $(utilization) while the job multiplies matrices"; else fail busy-gpu "GPU $gpu_index reads '$(utilization)' under a busy job"; fi
"${cli[@]}" job cancel "$(grep -o 'job-[0-9a-f]*' "$work/busy.txt" | head -n 1)" >/dev/null 2>&1

"${cli[@]}" job submit --session "$session" -- /usr/bin/python3 -c '
import time, torch
torch.zeros(1, device="cuda")
time.sleep(300)
' >"$work/idle.txt" 2>&1
idle() { u="$(utilization)"; [ -n "$u" ] && awk -v u="$u" 'BEGIN { exit !(u <= 0.1) }'; }
if wait_until 45 idle; then pass idle-gpu "GPU $gpu_index reads $(utilization) while the job sleeps"; else fail idle-gpu "GPU $gpu_index reads '$(utilization)' under a sleeping job"; fi

# why-idle: the sleeping job holds a GPU it does not use.
stalled() { "${cli[@]}" session why-idle "$session" 2>&1 | grep -qi 'stall'; }
if wait_until 90 stalled; then
  pass why-idle "$("${cli[@]}" session why-idle "$session" 2>&1 | grep -i stall | head -n 1)"
else
  fail why-idle "$("${cli[@]}" session why-idle "$session" 2>&1 | head -n 5) (the controller needs --stall-timeout and --gpu-stall-threshold)"
fi
"${cli[@]}" session terminate "$session" >/dev/null 2>&1
return 0
