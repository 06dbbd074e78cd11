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
