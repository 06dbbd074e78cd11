using System.Security.Cryptography;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.UserCode;

/// <summary><c>session cp</c> and <c>session ls</c> end to end, through the built CLI.</summary>
public sealed class FilesTests(UserCodeGridFixture grid) : IClassFixture<UserCodeGridFixture>, IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("gridtrain-cp-").FullName;

    public void Dispose() => Directory.Delete(_local, recursive: true);

    [Fact]
    public async Task Cp_A20MiBFileAndADirectory_RoundTripByteIdentical()
    {
        var session = await grid.ReadySessionAsync();
        var file = Path.Combine(_local, "weights.bin");
        await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(20 << 20));
        var tree = Directory.CreateDirectory(Path.Combine(_local, "project")).FullName;
        Directory.CreateDirectory(Path.Combine(tree, "data", "empty"));
        await File.WriteAllTextAsync(Path.Combine(tree, "train.py"), "print('hi')\n");
        await File.WriteAllBytesAsync(Path.Combine(tree, "data", "x.bin"), RandomNumberGenerator.GetBytes(300_000));

        var up = await Cli("session", "cp", file, $"{session.Id}:");
        var upTree = await Cli("session", "cp", tree, $"{session.Id}:");
        var back = Directory.CreateDirectory(Path.Combine(_local, "back")).FullName;
        var down = await Cli("session", "cp", $"{session.Id}:weights.bin", Path.Combine(back, "w.bin"));
        var downTree = await Cli("session", "cp", $"{session.Id}:project", back);

        Assert.Contains($"to {session.Id}:weights.bin", up.Text, StringComparison.Ordinal);
        Assert.Contains($"to {session.Id}:project", upTree.Text, StringComparison.Ordinal);
        Assert.True(down.ExitCode == 0 && downTree.ExitCode == 0, $"{down}\n{downTree}");
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(Path.Combine(back, "w.bin")));
        Assert.Equal(Tree(tree), Tree(Path.Combine(back, "project")));
        Assert.Equal(Tree(tree), Tree(Path.Combine(grid.WorkspaceOf(session.Id), "project")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(back, ".*"));
    }

    [Fact]
    public async Task Cp_PathsLeavingTheWorkspace_AreRefusedNamingThePath()
    {
        var session = await grid.ReadySessionAsync();
        var file = Path.Combine(_local, "f.txt");
        await File.WriteAllTextAsync(file, "x");
        Assert.Equal(0, (await Cli("session", "exec", session.Id, "--", "ln", "-s", "/etc", "evil")).ExitCode);

        var dotDot = await Cli("session", "cp", file, $"{session.Id}:../f.txt", expectFailure: true);
        var absolute = await Cli("session", "cp", file, $"{session.Id}:/tmp/f.txt", expectFailure: true);
        var throughLink = await Cli("session", "cp", file, $"{session.Id}:evil/f.txt", expectFailure: true);
        var readThroughLink = await Cli("session", "cp", $"{session.Id}:evil/hostname", _local, expectFailure: true);

        Assert.Contains("InvalidArgument: path '../f.txt' leads outside the workspace", dotDot.Error, StringComparison.Ordinal);
        Assert.Contains("InvalidArgument: path '/tmp/f.txt' is absolute", absolute.Error, StringComparison.Ordinal);
        Assert.Contains("InvalidArgument: path 'evil/f.txt' leads outside the workspace through a symbolic link", throughLink.Error, StringComparison.Ordinal);
        Assert.Contains("InvalidArgument: path 'evil/hostname' leads outside the workspace through a symbolic link", readThroughLink.Error, StringComparison.Ordinal);
        Assert.False(File.Exists("/etc/f.txt"));
        Assert.Equal(["f.txt"], Directory.EnumerateFileSystemEntries(_local).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Cp_OverTheWorkspaceLimit_IsRefusedNamingTheLimit_AndWritesNothing()
    {
        var session = await grid.ReadySessionAsync();
        var big = Path.Combine(_local, "big.bin");
        await using (var stream = File.Create(big))
        {
            stream.SetLength(70L << 20);
        }

        var refused = await Cli("session", "cp", big, $"{session.Id}:", expectFailure: true);

        Assert.Contains("ResourceExhausted", refused.Error, StringComparison.Ordinal);
        Assert.Contains("over its limit of 64 MiB (agent run --workspace-limit)", refused.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(grid.WorkspaceOf(session.Id)));
    }

    [Fact]
    public async Task Ls_ListsTheWorkspace_AndWithoutAnIdStillListsSessions()
    {
        var session = await grid.ReadySessionAsync();
        Assert.Equal(0, (await Cli("session", "exec", session.Id, "--", "sh", "-c", "mkdir -p data && printf 12345 > data/five.txt")).ExitCode);

        var root = await Cli("session", "ls", session.Id);
        var data = await Cli("session", "ls", session.Id, "data");
        var sessions = await Cli("session", "ls");
        var missing = await Cli("session", "ls", session.Id, "nope", expectFailure: true);

        Assert.Matches(@"data\s+directory", root.Text);
        Assert.Matches(@"five\.txt\s+file\s+5 B", data.Text);
        Assert.Contains(session.Id, sessions.Text, StringComparison.Ordinal);
        Assert.Contains("NotFound: 'nope' does not exist in the workspace", missing.Error, StringComparison.Ordinal);
    }

    private async Task<CliRun> Cli(params string[] args) => await Cli(args, expectFailure: false);

    private async Task<CliRun> Cli(string a, string b, string c, string d, bool expectFailure) => await Cli([a, b, c, d], expectFailure);

    private async Task<CliRun> Cli(string a, string b, string c, bool expectFailure) => await Cli([a, b, c], expectFailure);

    private async Task<CliRun> Cli(string[] args, bool expectFailure)
    {
        var run = await grid.RunCliAsync(null, args);
        Assert.True(expectFailure ? run.ExitCode != 0 : run.ExitCode == 0, run.ToString());
        return run;
    }

    /// <summary>Every entry under <paramref name="root"/>, with each file's SHA-256.</summary>
    private static List<string> Tree(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path) + (File.Exists(path) ? " " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "/"))
            .Order(StringComparer.Ordinal)];
}
