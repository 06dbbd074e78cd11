using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Agents.Health;
using GridTrain.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Agent.Tests;

/// <summary>The agent's GPU health checks against the fake NVML: every fault kind, readmission, the health command.</summary>
public sealed class GpuHealthWatchTests
{
    private const string Uuid0 = "GPU-00000000-0000-0000-0000-000000000000";
    private const string Uuid1 = "GPU-11111111-1111-1111-1111-111111111111";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeGpuMonitor _gpus = new(new GpuDevice(0, Uuid0, "NVIDIA H100", 80L << 30), new GpuDevice(1, Uuid1, "NVIDIA H100", 80L << 30));

    public static TheoryData<string, GpuFaultCause, string> Faults => new()
    {
        { "xid", GpuFaultCause.Xid, "Xid 79" },
        { "ecc", GpuFaultCause.EccUncorrectable, "2 new volatile uncorrectable ECC error(s)" },
        { "pages", GpuFaultCause.PagesPending, "pages pending retirement (reset needed)" },
        { "rows", GpuFaultCause.PagesPending, "rows pending remapping (reset needed)" },
        { "lost", GpuFaultCause.Lost, "GPU is lost" },
        { "thermal", GpuFaultCause.HardwareSlowdown, "hardware slowdown (thermal)" },
        { "power", GpuFaultCause.HardwareSlowdown, "hardware slowdown (powerbrake)" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Fault_TakesOnlyThatGpuOutOfService_NamingTheGpuAndCause(string kind, GpuFaultCause cause, string detail)
    {
        var watch = Watch();
        await watch.CheckAsync(default);
        Inject(kind);
        var changes = 0;
        watch.Changed += () => changes++;

        await watch.CheckAsync(default);

        var gpu0 = watch.Current[0];
        Assert.False(gpu0.Healthy);
        Assert.Equal(cause, gpu0.Cause);
        Assert.StartsWith($"{Uuid0} {detail}", gpu0.Reason, StringComparison.Ordinal);
        Assert.True(watch.Current[1].Healthy);
        Assert.Equal(1, changes);
        Assert.Equal(1, watch.Faults(cause));
    }

    [Theory]
    [InlineData(13)]
    [InlineData(31)]
    [InlineData(43)]
    [InlineData(45)]
    [InlineData(68)]
    public async Task ApplicationXid_IsTheJobsFault_GpuStaysInService(int xid)
    {
        var watch = Watch();
        _gpus.RaiseXid(0, xid);

        await watch.CheckAsync(default);

        Assert.All(watch.Current, g => Assert.True(g.Healthy));
        Assert.All(GpuFaultCauses.All, c => Assert.Equal(0, watch.Faults(c)));
    }

    [Fact]
    public async Task EccCount_AlreadyNonZeroAtTheFirstCheck_IsABaselineNotAFault()
    {
        _gpus.SetUncorrectableEcc(0, 7);
        var watch = Watch();

        await watch.CheckAsync(default);

        Assert.True(watch.Current[0].Healthy);
    }

    [Fact]
    public async Task FaultyGpu_CleanChecksOverTheWindow_ComesBack_NotBefore()
    {
        var watch = Watch(options => options.GpuHealth = new GpuHealthOptions { ReadmitCleanChecks = 3, ReadmitWindow = TimeSpan.FromMinutes(2) });
        _gpus.RaiseXid(0, 79);
        await watch.CheckAsync(default);

        for (var check = 0; check < 3; check++)
        {
            _time.Advance(TimeSpan.FromSeconds(30));
            await watch.CheckAsync(default);
        }

        Assert.False(watch.Current[0].Healthy);
        _time.Advance(TimeSpan.FromMinutes(2));
        await watch.CheckAsync(default);
        Assert.True(watch.Current[0].Healthy);
    }

    [Fact]
    public async Task LostGpu_StaysOutWhileLost_AnAdminReadmitBringsItBack()
    {
        var watch = Watch(options => options.GpuHealth = new GpuHealthOptions { ReadmitCleanChecks = 1, ReadmitWindow = TimeSpan.Zero });
        _gpus.Lose(0);
        await watch.CheckAsync(default);
        _time.Advance(TimeSpan.FromMinutes(30));
        await watch.CheckAsync(default);
        Assert.Equal(GpuFaultCause.Lost, watch.Current[0].Cause);

        Assert.True(watch.Readmit(0, "an admin undrained it"));

        Assert.True(watch.Current[0].Healthy);
        Assert.False(watch.Readmit(0, "again"));
    }

    [Fact]
    public async Task HealthCommand_Fails_EveryGpuOutOfService_WithWhatItSaid_ThenPassing_TheyComeBack()
    {
        var marker = Path.Combine(Directory.CreateTempSubdirectory("gridtrain-health-").FullName, "pass");
        var watch = Watch(options => options.GpuHealth = new GpuHealthOptions
        {
            Command = $"test -e '{marker}' || {{ echo 'diag: memory test failed' >&2; exit 3; }}",
            ReadmitCleanChecks = 1,
            ReadmitWindow = TimeSpan.Zero,
        });

        await watch.CheckAsync(default);

        Assert.All(watch.Current, g =>
        {
            Assert.Equal(GpuFaultCause.HealthCommand, g.Cause);
            Assert.EndsWith("health command exited 3: diag: memory test failed", g.Reason, StringComparison.Ordinal);
        });
        await File.WriteAllTextAsync(marker, "");
        await watch.CheckAsync(default);
        Assert.All(watch.Current, g => Assert.True(g.Healthy));
        Directory.Delete(Path.GetDirectoryName(marker)!, recursive: true);
    }

    [Fact]
    public async Task Agent_ChecksBeforeRegistering_ReportsFaultsInHeartbeats_AndReadmitsOnCommand()
    {
        _gpus.SetPending(1, pending: true);
        await using var harness = new AgentHarness(gpus: _gpus);

        var registration = await harness.StartAsync();

        Assert.Equal(GpuFaultCause.PagesPending, registration.Holdings.GpuHealth[1].Cause);
        Assert.True(registration.Holdings.GpuHealth[0].Healthy);

        _gpus.SetPending(1, pending: false);
        _gpus.RaiseXid(0, 48);
        harness.Time.Advance(new GpuHealthOptions().Interval);
        var faulted = await harness.HeartbeatAsync(h => !h.GpuHealth[0].Healthy);
        Assert.Equal($"{Uuid0} Xid 48", faulted.GpuHealth[0].Reason);

        await harness.SendAsync(new ReadmitGpu(1, "an admin undrained it"));
        await harness.HeartbeatAsync(h => h.GpuHealth[1].Healthy);
    }

    private GpuHealthWatch Watch(Action<AgentOptions>? configure = null)
    {
        var options = new AgentOptions();
        configure?.Invoke(options);
        return new GpuHealthWatch(_gpus, Options.Create(options), _time, NullLogger<GpuHealthWatch>.Instance);
    }

    private void Inject(string kind)
    {
        switch (kind)
        {
            case "xid":
                _gpus.RaiseXid(0, 79);
                break;
            case "ecc":
                _gpus.SetUncorrectableEcc(0, 2);
                break;
            case "pages":
                _gpus.SetPending(0, pending: true);
                break;
            case "rows":
                _gpus.SetPending(0, pending: true, remap: true);
                break;
            case "lost":
                _gpus.Lose(0);
                break;
            case "thermal":
                _gpus.SetSlowdown(0, GpuSlowdown.Thermal);
                break;
            case "power":
                _gpus.SetSlowdown(0, GpuSlowdown.PowerBrake);
                break;
        }
    }
}
