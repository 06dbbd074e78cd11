using GridTrain.Agent.Gpu;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// The web console in a real browser (Debian's headless Chromium) against a controller and a real agent on loopback:
/// sign in, create a CPU session and see it READY, watch a job submitted from a client train live (curve and logs),
/// end the session with its trash icon; another user's page never shows it. Screenshots of each page are saved.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleGridFixture grid, ITestOutputHelper output) : IClassFixture<ConsoleGridFixture>
{
    [Fact]
    public async Task SignIn_CreateSession_WatchJobTrainLive_EndWithTrashIcon_OtherUserNeverSeesIt()
    {
        using var browser = new Browser(grid.WebAddress);
        browser.SignIn(grid.AliceToken);
        browser.Wait(d => d.FindElement(By.Id("session-count")).Text.EndsWith("session(s)", StringComparison.Ordinal), "the sessions list");

        browser.Driver.FindElement(By.Id("new-name")).SendKeys("console-e2e");
        browser.Driver.FindElement(By.Id("create")).Click();
        var row = browser.Wait(d => d.FindElements(By.CssSelector("#sessions tr[data-session-id]")).FirstOrDefault(r => r.Text.Contains("console-e2e", StringComparison.Ordinal)), "the new session's row");
        var sessionId = row.GetAttribute("data-session-id")!;
        browser.Wait(d => d.FindElement(By.CssSelector($"#sessions tr[data-session-id='{sessionId}'] td.state")).Text == "READY", "the session READY");
        var idle = $"#sessions tr[data-session-id='{sessionId}'] td.idle";
        var idleShown = browser.Driver.FindElement(By.CssSelector(idle)).Text;
        browser.Wait(d => d.FindElement(By.CssSelector(idle)).Text is var now && now != idleShown && now.Contains(" idle, evicted in ", StringComparison.Ordinal), "the idle clock ticking on the open page");
        Keep(browser.Screenshot("1-sessions"));

        browser.Driver.FindElement(By.CssSelector($"#sessions tr[data-session-id='{sessionId}'] a")).Click();
        browser.Wait(d => d.FindElement(By.Id("session-state")).Text == "READY", "the session page showing READY");
        Keep(browser.Screenshot("2-session"));

        // Jobs in a session run one at a time: the job to watch waits behind a long one, so its page is open before
        // its first event exists, and every point it draws arrived live.
        var blocker = await grid.Alice.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = sessionId, Spec = TrainingJob(epochs: 10_000) });
        var job = await grid.Alice.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = sessionId, Spec = TrainingJob(epochs: 3) });
        browser.Go($"#/job/{job.Id}");
        browser.Wait(d => d.FindElement(By.Id("job-state")).Text == "QUEUED", "the job page, the job still queued");
        Assert.Equal(0, LossPoints(browser.Driver));
        await grid.Alice.Jobs.CancelJobAsync(new CancelJobRequest { JobId = blocker.Id });
        browser.Wait(d => d.FindElement(By.Id("job-state")).Text == "RUNNING", "the job RUNNING");
        browser.Wait(d => LossPoints(d) > 0, "the loss curve gaining points");
        Assert.Equal(1L, browser.Script("return document.querySelectorAll('#loss-chart canvas').length"));
        browser.Wait(d => d.FindElement(By.Id("logs")).Text.Contains("[job] RUNNING", StringComparison.Ordinal), "the logs showing the job start");
        browser.Wait(d => d.FindElement(By.Id("job-state")).Text == "SUCCEEDED", "the job SUCCEEDED");
        browser.Wait(d => d.FindElement(By.Id("logs")).Text.Contains("[job] SUCCEEDED", StringComparison.Ordinal), "the logs following to the job's end");
        Assert.NotEmpty(browser.Driver.FindElements(By.CssSelector("#checkpoints li")));
        Keep(browser.Screenshot("3-job"));

        browser.Go("#/agents");
        browser.Wait(d => d.FindElements(By.CssSelector("#agents tr[data-agent-id]")).FirstOrDefault(r => r.Text.Contains("console-agent", StringComparison.Ordinal)), "the agent");
        Keep(browser.Screenshot("4-agents"));
        browser.Go("#/quota");
        browser.Wait(d => d.FindElement(By.Id("quota")).Text.Contains("alice", StringComparison.Ordinal), "alice's quota");
        Assert.Matches(@"^\d+\.\d\d of no limit$", browser.Text("#quota-units"));
        Assert.Contains("refused", browser.Text("#quota-exhausted"), StringComparison.Ordinal);
        Keep(browser.Screenshot("5-quota"));

        var other = await grid.Alice.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = "alice-private" });
        browser.Go("#/sessions");
        browser.Wait(d => d.FindElements(By.CssSelector($"#sessions tr[data-session-id='{other.Id}']")).FirstOrDefault(), "alice's second session");
        browser.Driver.FindElement(By.CssSelector($"#sessions tr[data-session-id='{sessionId}'] button.end")).Click();
        browser.Wait(d => d.FindElements(By.CssSelector($"#sessions tr[data-session-id='{sessionId}']")).Count == 0, "the ended session leaving the list");
        Assert.Equal(SessionState.Terminated, (await grid.Alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = sessionId })).State);
        Keep(browser.Screenshot("6-sessions-after-end"));

        browser.SignOut();
        Assert.Null(browser.Script("return sessionStorage.getItem('gridtrain.token')"));
        browser.SignIn(grid.BobToken);
        browser.Go("#/sessions");
        browser.Wait(d => d.FindElement(By.Id("session-count")).Text == "0 session(s)", "bob's empty list");
        Keep(browser.Screenshot("7-other-user"));
        Assert.DoesNotContain(other.Id, browser.Driver.PageSource, StringComparison.Ordinal);
        Assert.DoesNotContain("alice-private", browser.Driver.PageSource, StringComparison.Ordinal);
        Assert.DoesNotContain(grid.AliceToken, browser.Driver.PageSource, StringComparison.Ordinal);
        Assert.DoesNotContain(grid.BobToken, browser.Driver.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInLink_OpensItsPageSignedIn_Once_WithoutTheTokenInTheUrl()
    {
        var session = await grid.Alice.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = "linked" });
        var link = grid.Server.CreateSignInLink(grid.AliceToken, $"/session/{session.Id}");

        using (var browser = new Browser(link))
        {
            browser.Wait(d => d.FindElements(By.Id("session-state")).FirstOrDefault(), "the linked session's page");
            Assert.Contains("alice", browser.Text("#who"), StringComparison.Ordinal);
            Assert.DoesNotContain("signin", browser.Driver.Url, StringComparison.Ordinal);
            Assert.DoesNotContain(grid.AliceToken, browser.Driver.Url, StringComparison.Ordinal);
            Keep(browser.Screenshot("9-signed-in-by-link"));
        }

        using var second = new Browser(link);
        WaitForUsedLink(second);
        Assert.Contains("already used or has expired", second.Text(), StringComparison.Ordinal);
        await grid.Alice.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = session.Id });
    }

    [Fact]
    public async Task SessionPage_ShowsItsGpuUtilizationAndMemory_AndTheAgentsRamAndDisk_Live_AndTheListItsUnitsAndGpuHours()
    {
        var session = await grid.Alice.Sessions.CreateSessionAsync(new CreateSessionRequest
        {
            Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = 1, GpuModel = "H100" },
            DisplayName = "gpu-resources",
        });
        try
        {
            using var browser = new Browser(grid.WebAddress);
            browser.SignIn(grid.AliceToken);
            browser.Go($"#/session/{session.Id}");
            browser.Wait(d => d.FindElement(By.Id("session-state")).Text == "READY", "the GPU session READY on the GPU agent");
            var gpu = Assert.Single((await grid.Alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = session.Id })).GpuIndexes);
            browser.Script("window.gridtrainMarker = 'same page'");

            grid.Gpus.Set(gpu, new GpuReading(0.42, 3L << 30, 80L << 30, 55, 300));
            browser.Wait(d => GpuCell(d, gpu, "gpu-utilization") == "42%", "the GPU's utilization from the next heartbeat");
            Assert.Equal("3.0 GiB of 80.0 GiB (4%)", GpuCell(browser.Driver, gpu, "gpu-memory"));
            Assert.Single(browser.Driver.FindElements(By.CssSelector("#gpus tbody tr")));
            Assert.Matches(@"^\d+(\.\d)? [GM]iB of \d+(\.\d)? [GM]iB \(\d+%\)$", browser.Text("#agent-ram"));
            Assert.Matches(@"^\d+(\.\d)? [GM]iB of \d+(\.\d)? [GM]iB \(\d+%\)$", browser.Text("#agent-disk"));
            Assert.Contains(ConsoleGridFixture.GpuAgentName, browser.Text("#resources-read-at"), StringComparison.Ordinal);

            grid.Gpus.Set(gpu, new GpuReading(0.77, 40L << 30, 80L << 30, 60, 350));
            browser.Wait(d => GpuCell(d, gpu, "gpu-utilization") == "77%", "the utilization following the readings without a reload");
            Assert.Equal("40.0 GiB of 80.0 GiB (50%)", GpuCell(browser.Driver, gpu, "gpu-memory"));
            Assert.Equal("same page", browser.Script("return window.gridtrainMarker"));
            Keep(browser.Screenshot("8-session-resources"));

            browser.Go("#/sessions");
            var row = $"#sessions tr[data-session-id='{session.Id}']";
            browser.Wait(d => d.FindElements(By.CssSelector(row)).FirstOrDefault(), "the GPU session's row");
            Assert.Matches(@"^\d+\.\d\d$", browser.Text($"{row} td.gpu-hours"));
            Assert.Matches(@"^\d+\.\d\d \+1/h$", browser.Text($"{row} td.units"));
            Keep(browser.Screenshot("10-sessions-units"));
        }
        finally
        {
            await grid.Alice.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = session.Id });
        }
    }

    [Fact]
    public async Task AgentsPage_ShowsACordonFromTheCli_WithoutAReload_AndAdminsUncordonWithItsButton()
    {
        using var browser = new Browser(grid.WebAddress);
        browser.SignIn(TestCredentials.AdminToken);
        browser.Go("#/agents");
        var agentId = browser.Wait(d => d.FindElements(By.CssSelector("#agents tr[data-agent-id]")).FirstOrDefault(r => r.Text.Contains(ConsoleGridFixture.GpuAgentName, StringComparison.Ordinal)), "the GPU agent's row").GetAttribute("data-agent-id")!;
        var state = $"#agents tr[data-agent-id='{agentId}'] td.state";
        browser.Wait(d => d.FindElement(By.CssSelector(state)).Text == "READY", "the GPU agent READY, not cordoned");
        browser.Script("window.gridtrainMarker = 'same page'");
        try
        {
            await grid.Admin.Fleet.CordonAgentAsync(new CordonAgentRequest { AgentId = agentId });

            browser.Wait(d => d.FindElement(By.CssSelector(state)).Text == "READY (cordoned)", "the cordon from the API on the open page");
            Assert.Equal("same page", browser.Script("return window.gridtrainMarker"));
            Keep(browser.Screenshot("11-agents-cordoned"));
            browser.Driver.FindElement(By.CssSelector($"#agents tr[data-agent-id='{agentId}'] button.cordon")).Click();
            browser.Wait(d => d.FindElement(By.CssSelector(state)).Text == "READY", "uncordoned by the page's button");
        }
        finally
        {
            await grid.Admin.Fleet.CordonAgentAsync(new CordonAgentRequest { AgentId = agentId, Uncordon = true });
        }
    }

    private static string GpuCell(IWebDriver driver, int gpu, string cell) =>
        driver.FindElement(By.CssSelector($"#gpus tr[data-gpu-index='{gpu}'] td.{cell}")).Text;

    private static void WaitForUsedLink(Browser browser) =>
        browser.Wait(d => d.FindElements(By.CssSelector("#sign-in .error")).FirstOrDefault(), "the sign-in form saying the link is used up");

    private static int LossPoints(IWebDriver driver) =>
        int.TryParse(driver.FindElement(By.Id("loss-points")).Text, out var n) ? n : 0;

    private void Keep(string screenshot) => output.WriteLine($"screenshot: {screenshot}");

    /// <summary>A small MLP on synthetic data.</summary>
    private static JobSpec TrainingJob(int epochs) => new()
    {
        Model = new ModelSpec { Name = "mlp", HiddenSizes = { 32 } },
        Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 2_000, TestExamples = 128, ImageSize = 8, Classes = 4 } },
        Hyperparameters = new Hyperparameters { Optimizer = "adam", LearningRate = 0.01, BatchSize = 32, Epochs = epochs, Seed = 5 },
        Checkpoint = new CheckpointPolicy { EverySteps = 100, KeepLast = 2 },
    };
}
