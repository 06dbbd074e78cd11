using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Hosting;

namespace GridTrain.Controller.Hosting;

/// <summary>
/// Checks for lost agents twice per heartbeat interval, from the moment the server accepts calls: loading the store
/// and opening the ports take no agent's time (a restart under load may take seconds).
/// </summary>
internal sealed class LivenessSweeper(GridCoordinator grid, TimeProvider time, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ServingAsync(stoppingToken);
            grid.StartServing();
            using var timer = new PeriodicTimer(grid.Options.HeartbeatInterval / 2, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await grid.SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ServingAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }
}
