using GridTrain.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Tests;

/// <summary>The agent's options are checked when it is built, every problem named at once.</summary>
public sealed class AgentOptionsTests
{
    [Fact]
    public async Task MissingControllerAndJoinToken_BuildingTheAgentNamesBoth()
    {
        await using var services = new ServiceCollection()
            .AddGridTrainAgent(options => options.ShutdownGracePeriod = TimeSpan.FromSeconds(1))
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetGridAgent());

        Assert.Contains(error.Failures, f => f.StartsWith("Controller:", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("JoinToken:", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ShutdownGracePeriod: must be at least StopGracePeriod", StringComparison.Ordinal));
    }
}
