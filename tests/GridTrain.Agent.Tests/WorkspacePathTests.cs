using GridTrain.Agent.Hosting;
using GridTrain.Agent.UserCode;
using GridTrain.Agent.Workspaces;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Tests;

public sealed class WorkspacePathTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gt-ws-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("", "")]
    [InlineData(".", "")]
    [InlineData("data/train.csv", "data/train.csv")]
    [InlineData("a/../b", "b")]
    public void Resolve_KeepsPathsInsideTheWorkspace(string relative, string expected)
    {
        var workspace = Workspaces().Ensure("ses-1");

        Assert.Equal(Path.Combine(workspace, expected).TrimEnd('/'), Workspaces().Resolve("ses-1", relative).TrimEnd('/'));
    }

    [Theory]
    [InlineData("../other", "leads outside the workspace")]
    [InlineData("a/../../..", "leads outside the workspace")]
    [InlineData("/etc/passwd", "is absolute")]
    public void Resolve_RefusesLexicalEscapes(string relative, string message)
    {
        var error = Assert.Throws<WorkspacePathException>(() => Workspaces().Resolve("ses-1", relative));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_RefusesASymbolicLinkThatPointsOut_EvenBelowAMissingName()
    {
        var workspace = Workspaces().Ensure("ses-1");
        Directory.CreateSymbolicLink(Path.Combine(workspace, "evil"), "/etc");
        File.CreateSymbolicLink(Path.Combine(workspace, "inside"), Path.Combine(workspace, "real.txt"));

        Assert.Contains("symbolic link", Assert.Throws<WorkspacePathException>(() => Workspaces().Resolve("ses-1", "evil/passwd")).Message, StringComparison.Ordinal);
        Assert.Contains("symbolic link", Assert.Throws<WorkspacePathException>(() => Workspaces().Resolve("ses-1", "evil/not-there/x")).Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(workspace, "real.txt"), Workspaces().Resolve("ses-1", "inside"));
    }

    [Fact]
    public void StaysInside_FollowsLinksOfADatasetRoot()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "evil"), "/etc");

        Assert.False(WorkspacePath.StaysInside(_root, Path.Combine(_root, "evil")));
        Assert.True(WorkspacePath.StaysInside(_root, Path.Combine(_root, "data", "x")));
    }

    [Fact]
    public void EnsureRoom_NamesTheLimitAndTheFlag()
    {
        var workspaces = Workspaces(limit: 1024);
        File.WriteAllBytes(Path.Combine(workspaces.Ensure("ses-1"), "a"), new byte[1000]);

        workspaces.EnsureRoom("ses-1", 24);
        var error = Assert.Throws<WorkspaceFullException>(() => workspaces.EnsureRoom("ses-1", 25));

        Assert.Contains("--workspace-limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Delete_RemovesTheSessionsDirectory()
    {
        var workspaces = Workspaces();
        File.WriteAllText(Path.Combine(workspaces.Ensure("ses-1"), "a"), "x");

        workspaces.Delete("ses-1");

        Assert.False(workspaces.Exists("ses-1"));
        Assert.Empty(workspaces.Sessions());
    }

    [Fact]
    public void PathOf_RefusesASessionIdThatIsNotAPlainName() =>
        Assert.Throws<WorkspacePathException>(() => Workspaces().PathOf("../x"));

    [Fact]
    public void UserProcess_SeesOnlyItsGpusAndNoneOfTheAgentsSecrets()
    {
        var start = new UserProcessStart { Argv = ["env"], WorkingDirectory = _root, GpuIndexes = [1], Threads = 3 }.ToStartInfo();
        var cpu = new UserProcessStart { Argv = ["env"], WorkingDirectory = _root }.ToStartInfo();

        Assert.Equal("1", start.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("1", start.Environment["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal("3", start.Environment["OMP_NUM_THREADS"]);
        Assert.Equal("", cpu.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("void", cpu.Environment["NVIDIA_VISIBLE_DEVICES"]);
        Assert.DoesNotContain(start.Environment.Keys, UserEnvironment.IsAgents);
        Assert.Equal(["--", "env"], start.ArgumentList);
    }

    [Fact]
    public void UserProcess_RefusesEmptyArgvAndABadRunAs()
    {
        Assert.Contains("argv is empty", Assert.Throws<ArgumentException>(() => new UserProcessStart { Argv = [], WorkingDirectory = _root }.ToStartInfo()).Message, StringComparison.Ordinal);
        Assert.Contains("UID:GID", Assert.Throws<ArgumentException>(() => UserProcessStart.ParseRunAs("root")).Message, StringComparison.Ordinal);
        Assert.Equal(["--", "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--", "id"], new UserProcessStart { Argv = ["id"], WorkingDirectory = _root, RunAs = "1000:1000" }.ToStartInfo().ArgumentList);
    }

    private SessionWorkspaces Workspaces(long limit = 1L << 30) =>
        new(Options.Create(new AgentOptions { WorkDirectory = _root, WorkspaceLimitBytes = limit }));
}
