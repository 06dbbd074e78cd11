using System.Text;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Observability;

/// <summary>With the standard OTEL_* variables set, a controller process pushes its metrics over OTLP.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task ControllerWithOtlpEndpoint_PushesItsMetrics_NamedByItsServiceName()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var root = Directory.CreateTempSubdirectory("gridtrain-otlp-").FullName;
        try
        {
            await using var controller = await ControllerProcess.StartAsync(
                Path.Combine(root, "controller"),
                environment: new Dictionary<string, string>
                {
                    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Address.ToString().TrimEnd('/'),
                    ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                    ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
                });

            var export = await receiver.WaitForAsync("metrics", body => Contains(body, "gridtrain.sessions"), TimeSpan.FromSeconds(60));

            Assert.True(Contains(export.Body, "gridtrain-controller"), "the export's resource should carry service.name gridtrain-controller");
            Assert.True(Contains(export.Body, "gridtrain.leases.granted"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>OTLP's protobuf carries names and string attributes as plain UTF-8.</summary>
    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
