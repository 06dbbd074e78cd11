using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// Debian's headless Chromium driven through its chromedriver (apt: chromium, chromium-driver), with explicit waits
/// for what a test expects to see and screenshots saved as test output under <see cref="ScreenshotDirectory"/>.
/// </summary>
public sealed class Browser : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromMinutes(2);
    private readonly ChromeDriver _driver;

    public Browser(Uri start)
    {
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000", "--disable-extensions");
        _driver = new ChromeDriver(service, options, s_wait);
        _driver.Navigate().GoToUrl(start);
    }

    /// <summary>Where screenshots go: the test output folder (not committed).</summary>
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "console-screenshots")).FullName;

    public IWebDriver Driver => _driver;

    public void SignIn(string token)
    {
        Wait(d => d.FindElements(By.Id("token")).FirstOrDefault(), "the sign-in form").SendKeys(token);
        _driver.FindElement(By.CssSelector("#sign-in button[type=submit]")).Click();
        Wait(d => d.FindElements(By.Id("sign-out")).FirstOrDefault(e => e.Displayed), "signed in (the sign-out button)");
    }

    public void SignOut()
    {
        _driver.FindElement(By.Id("sign-out")).Click();
        Wait(d => d.FindElements(By.Id("token")).FirstOrDefault(), "the sign-in form");
    }

    public void Go(string hash) => _driver.Navigate().GoToUrl(new Uri(new Uri(_driver.Url), "/" + hash));

    /// <summary>Waits until <paramref name="condition"/> returns a value; on a timeout the failure says what was awaited and what the page showed.</summary>
    public T Wait<T>(Func<IWebDriver, T?> condition, string what)
    {
        var wait = new WebDriverWait(_driver, s_wait) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(d => condition(d) is { } value && !Equals(value, false) ? value : default)!;
        }
        catch (WebDriverTimeoutException)
        {
            Screenshot("timeout");
            throw new TimeoutException($"waited {s_wait} for {what}; the page showed: {Text()}");
        }
    }

    public string Text(string css = "main") => _driver.FindElements(By.CssSelector(css)).FirstOrDefault()?.Text ?? "";

    public string Screenshot(string name)
    {
        var path = Path.Combine(ScreenshotDirectory, $"{name}.png");
        _driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Turns the HTTP cache off (DevTools protocol), so the next load transfers every file.</summary>
    public void DisableCache()
    {
        _driver.ExecuteCdpCommand("Network.enable", []);
        _driver.ExecuteCdpCommand("Network.setCacheDisabled", new Dictionary<string, object?> { ["cacheDisabled"] = true });
    }

    public object? Script(string script, params object[] args) => _driver.ExecuteScript(script, args);

    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
    }
}
