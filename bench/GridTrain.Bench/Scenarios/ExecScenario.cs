using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// Exec and copies: a controller in this process and one agent process on loopback, driven through the .NET client
/// (no CLI start-up). Measured: the round trip of <c>true</c> (client → controller → agent → process → exit code, many
/// rounds), 200 MiB of a command's standard output streamed to the client, and a 200 MiB copy into the workspace (each of
/// these three times, the median reported).
/// </summary>
internal static class ExecScenario
{
    private const long StreamBytes = 200L << 20;
    private const int ThroughputRuns = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args is ["--rounds", var n, ..] ? int.Parse(n, CultureInfo.InvariantCulture) : 200;
        var root = Directory.CreateTempSubdirectory("gridtrain-exec-bench-").FullName;
        var joinToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var controller = await ControllerServer.CreateAsync(
            new IPEndPoint(IPAddress.Loopback, 0),
            ControllerStorageOptions.InDirectory(Path.Combine(root, "controller")),
            configureLogging: logging => logging.SetMinimumLevel(LogLevel.Warning),
            security: new ControllerSecurityOptions { JoinToken = joinToken, UserRequestsPerSecond = 0, AgentRequestsPerSecond = 0 });
        await controller.StartAsync(CancellationToken.None);
        using var client = new GridTrainClient(controller.Address, token: controller.AdminToken);
        using var agent = AgentProcess.Start(controller.Address, "exec-bench", Path.Combine(root, "agent"), joinToken);
        await agent.WaitForLineAsync("registered as", TimeSpan.FromMinutes(1));
        var session = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        while ((await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id })).State != SessionState.Ready)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Console.WriteLine($"exec: {rounds} rounds of `true`, {StreamBytes >> 20} MiB of stdout, a {StreamBytes >> 20} MiB cp; session {session.Id}, work dir {root}");
        var latencies = new List<double>();
        for (var round = 0; round < rounds + 10; round++)
        {
            var clock = Stopwatch.StartNew();
            var exit = await client.ExecAsync(new ExecStart { SessionId = session.Id, Argv = { "true" } }, null, Stream.Null, Stream.Null);
            clock.Stop();
            if (exit.ExitCode != 0)
            {
                throw new InvalidOperationException($"`true` exited with {exit.ExitCode}");
            }

            // The first rounds warm up the JIT on both sides.
            if (round >= 10)
            {
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        latencies.Sort();
        // Throughput: the median of three runs each, so one run's page-cache writeback or scheduling hiccup does not decide it.
        var streamSeconds = new List<double>();
        for (var run = 0; run < ThroughputRuns; run++)
        {
            var counted = new CountingStream();
            var stream = Stopwatch.StartNew();
            await client.ExecAsync(new ExecStart { SessionId = session.Id, Argv = { "head", "-c", StreamBytes.ToString(CultureInfo.InvariantCulture), "/dev/zero" } }, null, counted, Stream.Null);
            stream.Stop();
            if (counted.Length != StreamBytes)
            {
                throw new InvalidOperationException($"streamed {counted.Length} bytes, expected {StreamBytes}");
            }

            streamSeconds.Add(stream.Elapsed.TotalSeconds);
        }

        var file = Path.Combine(root, "upload.bin");
        await using (var data = File.Create(file))
        {
            var chunk = RandomNumberGenerator.GetBytes(1 << 20);
            for (var i = 0; i < StreamBytes >> 20; i++)
            {
                await data.WriteAsync(chunk);
            }
        }

        var copySeconds = new List<double>();
        for (var run = 0; run < ThroughputRuns; run++)
        {
            var copy = Stopwatch.StartNew();
            var uploaded = await client.UploadAsync(session.Id, file, "copy.bin");
            copy.Stop();
            if (uploaded.Bytes != StreamBytes)
            {
                throw new InvalidOperationException($"copied {uploaded.Bytes} bytes, expected {StreamBytes}");
            }

            copySeconds.Add(copy.Elapsed.TotalSeconds);
            await client.ExecAsync(new ExecStart { SessionId = session.Id, Argv = { "rm", "copy.bin" } }, null, Stream.Null, Stream.Null);
        }

        var result = new
        {
            scenario = "exec",
            exec_p50_ms = Math.Round(Percentile(latencies, 0.50), 2),
            exec_p99_ms = Math.Round(Percentile(latencies, 0.99), 2),
            stdout_mb_per_s = Math.Round(StreamBytes / 1e6 / Median(streamSeconds), 1),
            cp_mb_per_s = Math.Round(StreamBytes / 1e6 / Median(copySeconds), 1),
        };
        await client.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = session.Id });
        Directory.Delete(root, recursive: true);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>Counts what is written and drops it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
