using Grpc.Core;
using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// An agent reduced to its protocol, for API tests: registered with a join token, then calling with the credential
/// Register returned (<see cref="Client"/> adds it to every call).
/// </summary>
public sealed class TestAgent
{
    private TestAgent(RegisterAgentResponse registration, AgentService.AgentServiceClient client)
    {
        Registration = registration;
        Client = client;
    }

    public RegisterAgentResponse Registration { get; }

    public string AgentId => Registration.AgentId;

    public string Credential => Registration.AgentCredential;

    /// <summary>Agent calls carrying this agent's credential.</summary>
    public AgentService.AgentServiceClient Client { get; }

    /// <summary>Registers <paramref name="name"/> over <paramref name="channel"/> (a channel without credentials of its own, e.g. <see cref="GridTrainClient.Channel"/>).</summary>
    public static async Task<TestAgent> RegisterAsync(ChannelBase channel, string name, Inventory? inventory = null, string? joinToken = null)
    {
        var register = new AgentService.AgentServiceClient(channel);
        var registration = await register.RegisterAsync(
            new RegisterAgentRequest { Name = name, Inventory = inventory ?? new Inventory { CpuCores = 2, MemoryBytes = 1 << 30, CpuSlots = 1 } },
            new Metadata { { "authorization", "Bearer " + (joinToken ?? TestCredentials.JoinToken) } });
        return new TestAgent(registration, new AgentService.AgentServiceClient(ControllerChannel.WithToken(channel, () => registration.AgentCredential)));
    }
}
