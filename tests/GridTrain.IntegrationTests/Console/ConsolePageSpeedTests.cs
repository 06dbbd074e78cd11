using System.Globalization;
using GridTrain.Client;
using GridTrain.Protos.V1;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// The sessions page with 1,000 sessions in headless Chromium on loopback: first contentful paint, the time until all
/// rows are listed, and what the page transferred (figures in docs/benchmarks.md). Only the page's behaviour is
/// asserted; the timings are reported, since they depend on the machine.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ConsolePageSpeedTests(WebControllerFixture controller, ITestOutputHelper output) : IClassFixture<WebControllerFixture>
{
    private const int Sessions = 1_000;

    [Fact]
    public async Task SessionsPage_With1000Sessions_ListsThemAll_ReportsPaintAndSize()
    {
        using (var carol = new GridTrainClient(controller.Server.Address, token: await controller.Server.CreateTokenAsync("carol")))
        {
            for (var i = 0; i < Sessions; i++)
            {
                await carol.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = $"bench-{i:D4}" });
            }
        }

        var carolToken = await controller.Server.CreateTokenAsync("carol");
        using var browser = new Browser(controller.WebAddress);
        browser.SignIn(carolToken);
        browser.Wait(d => d.FindElement(By.Id("session-count")).Text == $"{Sessions} session(s)", "1,000 sessions listed");

        // The measured load: a fresh navigation of the signed-in tab (its token is in sessionStorage), with the
        // browser's cache off, so every file is transferred as on a first visit.
        browser.DisableCache();
        browser.Driver.Navigate().Refresh();
        browser.Wait(d => d.FindElement(By.Id("session-count")).Text == $"{Sessions} session(s)", "1,000 sessions listed after the reload");
        Assert.Equal(Sessions, browser.Driver.FindElements(By.CssSelector("#sessions tr[data-session-id]")).Count);
        var figures = (IReadOnlyDictionary<string, object>)browser.Script(
            """
            const paint = performance.getEntriesByName('first-contentful-paint')[0];
            const listed = performance.getEntriesByName('gridtrain:sessions-listed')[0];
            const navigation = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource');
            return {
              fcp: paint ? paint.startTime : -1,
              listed: listed ? listed.startTime : -1,
              documentBytes: navigation.transferSize,
              resourceBytes: resources.reduce((sum, r) => sum + r.transferSize, 0),
              resources: resources.map((r) => r.name.replace(location.origin, '')).join(' '),
            };
            """)!;
        using var api = controller.Api(carolToken);
        var (_, list) = await api.SendAsync(HttpMethod.Get, "/v1/sessions");
        var listBytes = System.Text.Encoding.UTF8.GetByteCount(list.ToJsonString());

        var fcp = Convert.ToDouble(figures["fcp"], CultureInfo.InvariantCulture);
        var listed = Convert.ToDouble(figures["listed"], CultureInfo.InvariantCulture);
        output.WriteLine(FormattableString.Invariant(
            $"sessions page, {Sessions} sessions: first contentful paint {fcp:F0} ms, all listed at {listed:F0} ms; transferred: document {figures["documentBytes"]} B + static files {figures["resourceBytes"]} B ({figures["resources"]}); the list message {listBytes} B"));
        Assert.True(fcp > 0, "Chromium reported a first contentful paint");
        Assert.True(listed >= fcp, "the rows came after the first paint");
        Assert.DoesNotContain("uPlot", (string)figures["resources"], StringComparison.Ordinal);
        browser.Screenshot("8-sessions-1000");
    }
}
