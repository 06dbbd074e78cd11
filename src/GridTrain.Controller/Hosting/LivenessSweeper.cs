using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Hosting;

namespace GridTrain.Controller.Hosting;

/// <summary>Checks for lost agents twice per heartbeat interval.</summary>
internal sealed class LivenessSweeper(GridCoordinator grid, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(grid.Options.HeartbeatInterval / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await grid.SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
