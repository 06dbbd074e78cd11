using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Agents;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// The chart names each agent after its node (<c>spec.nodeName</c>), and node names are DNS subdomains: EKS's
/// <c>ip-10-0-0-1.ec2.internal</c>, bare-metal <c>gpu1.rack2.example.org</c>. Such an agent must register.
/// </summary>
public sealed class NodeNamedAgentTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-node-named-").FullName;
    private ControllerServer? _server;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions());
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server!.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task AgentNamedAfterAnEksNode_Registers_AndIsListedUnderThatName()
    {
        const string nodeName = "ip-10-0-0-1.ec2.internal";
        await using var agent = AgentProcess.Start(_server!.Address, nodeName, Path.Combine(_root, "agent"));
        try
        {
            await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        }
        finally
        {
            output.WriteLine(agent.Output());
        }

        using var client = new GridTrainClient(_server.Address);
        var agents = (await client.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents;
        var listed = Assert.Single(agents);
        Assert.Equal(nodeName, listed.Name);
        Assert.Equal(GridTrain.Protos.V1.AgentState.Ready, listed.State);
    }

    [Theory]
    [InlineData("ip-10-0-0-1.ec2.internal")]
    [InlineData("gpu1.rack2.example.org")]
    [InlineData("node-7")]
    [InlineData("a")]
    public void NodeNames_AreValidAgentNames(string name) => Assert.True(AgentNames.IsValid(name), name);

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("-a.b")]
    [InlineData("a-.b")]
    [InlineData("Node.Example")]
    [InlineData("a/b")]
    [InlineData("a_b")]
    public void NamesThatAreNotDnsSubdomains_AreRefused(string name) => Assert.False(AgentNames.IsValid(name), name);

    [Fact]
    public void Names_AreBoundedLikeKubernetesNames()
    {
        Assert.True(AgentNames.IsValid(new string('a', 63)));
        Assert.False(AgentNames.IsValid(new string('a', 64)));
        var longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..253];
        Assert.True(AgentNames.IsValid(longest.TrimEnd('.')));
        Assert.False(AgentNames.IsValid(longest + "a"));
    }
}
