using GridTrain.Cli.Commands;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.CommandLine;

/// <summary>Usage errors of session exec, cp and the agent's user-code options: exit 2, naming what is wrong.</summary>
public sealed class UserCodeUsageTests
{
    private readonly TestCli _cli = new();

    [Theory]
    [InlineData("name exactly one side as ses-ID:PATH", "session", "cp", "a.txt", "b.txt")]
    [InlineData("name exactly one side as ses-ID:PATH", "session", "cp", "ses-0123456789ab:a", "ses-0123456789ab:b")]
    [InlineData("--workspace-limit: 'lots' is not a positive size; write e.g. 500MiB, 20GiB or 1GB", "agent", "run", "--workspace-limit", "lots")]
    [InlineData("--run-as: 'root' is not UID:GID (numbers, e.g. 1000:1000)", "agent", "run", "--run-as", "root")]
    [InlineData("--timeout: '0s' is not a positive duration", "session", "exec", "ses-0123456789ab", "--timeout", "0s", "--", "true")]
    public async Task BadUserCodeArguments_ExitTwoNamingThem(string expected, params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error);
    }

    [Fact]
    public async Task SessionExec_WithoutACommand_ExitsTwo()
    {
        var run = await _cli.RunAsync("session", "exec", "ses-0123456789ab");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Required argument missing", run.Error);
    }

    [Theory]
    [InlineData("20GiB", 20L << 30)]
    [InlineData("500MiB", 500L << 20)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("4096", 4096L)]
    public void Sizes_ParseInBytes(string text, long bytes)
    {
        Assert.True(SizeOption.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }
}
