using PuppeteerSharp;
using TestUtilities;

namespace SampleHost.Web.Tests;

/// <summary>Headless Chromium on a page of the web studio, with a screenshot of each step in TestResults/web-story/.</summary>
public sealed class Browser : IAsyncDisposable
{
    public static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    public static string? ExecutablePath =>
        Environment.GetEnvironmentVariable("STUDIO_TEST_CHROMIUM") is { Length: > 0 } given && File.Exists(given) ? given : Candidates.FirstOrDefault(File.Exists);

    private readonly IBrowser _browser;
    private readonly string _shots;
    private int _step;

    private Browser(IBrowser browser, IPage page, string shots) => (_browser, Page, _shots) = (browser, page, shots);

    public IPage Page { get; }

    public static async Task<Browser> OpenAsync(string url, string story)
    {
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = ExecutablePath ?? throw new InvalidOperationException("no Chromium"),
            // As root in a container Chromium needs --no-sandbox; /dev/shm is small there.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
            // A wait for a condition is one protocol call: it must outlive Until's own limit (a training's first progress
            // can take minutes when test processes share the cores).
            ProtocolTimeout = 600_000,
        });
        var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1400, Height = 1000 });
        page.DefaultTimeout = 120_000;
        var shots = Path.Combine(RepoPaths.Root, "TestResults", story);
        Directory.CreateDirectory(shots);
        await page.GoToAsync(url);
        await page.WaitForSelectorAsync("body[data-ready='true']");
        return new Browser(browser, page, shots);
    }

    /// <summary>Saves a screenshot of the page as it is now, numbered in the story's order.</summary>
    public async Task<string> Shot(string name)
    {
        var path = Path.Combine(_shots, $"{++_step:00}-{name}.png");
        await Page.ScreenshotAsync(path, new ScreenshotOptions { FullPage = true });
        return path;
    }

    public Task Click(string selector) => Page.ClickAsync(selector);

    /// <summary>Replaces a field's value as a user typing it would.</summary>
    public async Task Fill(string selector, string value)
    {
        await Page.EvaluateFunctionAsync("(s) => { const e = document.querySelector(s); e.value = ''; }", selector);
        await Page.TypeAsync(selector, value);
    }

    public Task<T> Eval<T>(string expression) => Page.EvaluateExpressionAsync<T>(expression);

    /// <summary>Waits until the JavaScript <paramref name="condition"/> holds.</summary>
    public Task Until(string condition) => Page.WaitForFunctionAsync($"() => {condition}", new WaitForFunctionOptions { PollingInterval = 50, Timeout = 480_000 });

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _browser.Dispose();
    }
}
