using GridTrain.Domain.Jobs;

namespace GridTrain.Agent;

/// <summary>What an agent holds and runs at one moment.</summary>
internal sealed record AgentStatus(IReadOnlyList<HeldSessionStatus> Sessions, IReadOnlyList<RunningJobStatus> Jobs);

/// <summary>A session the agent holds, with the GPUs (NVML indexes) its lease gives it.</summary>
internal sealed record HeldSessionStatus(string SessionId, long LeaseEpoch, IReadOnlyList<int> GpuIndexes);

/// <summary>A job process the agent runs, with its newest progress report.</summary>
internal sealed record RunningJobStatus(string JobId, string SessionId, ProgressReported? Progress);
