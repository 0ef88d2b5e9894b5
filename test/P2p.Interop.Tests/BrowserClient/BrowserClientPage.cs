using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.Playwright;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// One Chromium page on the signaling server's origin, running the browser client (<c>/p2p.js</c>, loaded
/// from the server) through the in-page driver browser-client-test.js (<c>window.t</c>).
/// </summary>
internal sealed class BrowserClientPage
{
    /// <summary>Where the test host serves the driver page (a real response from the loopback origin, see <see cref="BrowserClientServer"/>).</summary>
    public const string DriverPath = "/__browser-client-test";

    private readonly IPage _page;
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private readonly ConcurrentQueue<string> _console = new();

    private BrowserClientPage(IPage page, string name)
    {
        _page = page;
        Name = name;
        page.PageError += (_, error) => _pageErrors.Enqueue(error);
        page.Console += (_, message) => _console.Enqueue($"{message.Type}: {message.Text}");
    }

    public string Name { get; }

    /// <summary>This member's user id, once connected.</summary>
    public string Id { get; private set; } = "";

    public bool IsClosed => _page.IsClosed;

    /// <summary>Uncaught exceptions and unhandled rejections in the page (a test asserts there are none).</summary>
    public IReadOnlyCollection<string> PageErrors => _pageErrors;

    public static async Task<BrowserClientPage> OpenAsync(IBrowserContext context, Uri origin, string name)
    {
        var page = await context.NewPageAsync();
        var result = new BrowserClientPage(page, name);
        await page.GotoAsync(new Uri(origin, DriverPath + "?" + Uri.EscapeDataString(name)).ToString());
        await page.WaitForFunctionAsync("() => window.t !== undefined", null, new PageWaitForFunctionOptions { Timeout = 10_000 });
        return result;
    }

    public async Task ConnectAsync(Uri signaling, int connectTimeoutMs = 15_000)
    {
        Id = await CallAsync<string>("connect", signaling.ToString(), new { connectTimeout = connectTimeoutMs });
    }

    /// <summary>Connects with further <c>t.connect</c> options (<c>iceServersFromSignaling</c>, <c>iceTransportPolicy</c>, <c>connectTimeout</c>).</summary>
    public async Task ConnectAsync(Uri signaling, object options)
    {
        Id = await CallAsync<string>("connect", signaling.ToString(), options);
    }

    /// <summary>Calls <c>t.{function}(...args)</c> in the page.</summary>
    public async Task<T> CallAsync<T>(string function, params object?[] args)
    {
        try
        {
            return await _page.EvaluateAsync<T>($"args => window.t.{function}(...args)", args);
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"Page {Name}: t.{function} failed: {e.Message}", e);
        }
    }

    public Task<JsonElement> CallAsync(string function, params object?[] args) => CallAsync<JsonElement>(function, args);

    /// <summary>Evaluates any expression in the page.</summary>
    public Task<T> EvaluateAsync<T>(string expression, object? arg = null) => _page.EvaluateAsync<T>(expression, arg);

    /// <summary>What the page logged (the client's warnings, console output), for a failing test's report.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        var lines = new List<string>(_console);
        if (!_page.IsClosed)
        {
            try
            {
                lines.AddRange(await CallAsync<string[]>("logs"));
                lines.Add("state: " + (await CallAsync("info")).GetRawText());
            }
            catch (InvalidOperationException e)
            {
                lines.Add("(no diagnostics: " + e.Message + ")");
            }
        }

        lines.AddRange(_pageErrors.Select(e => "page error: " + e));
        return string.Join(Environment.NewLine, lines.Select(l => $"  [{Name}] {l}"));
    }

    public Task CloseAsync() => _page.IsClosed ? Task.CompletedTask : _page.CloseAsync();

    /// <summary>The driver page: the in-page driver as an inline module (it imports /p2p.js from the server).</summary>
    public static string DriverHtml()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("BrowserClient/browser-client-test.js")
            ?? throw new InvalidOperationException("Embedded resource BrowserClient/browser-client-test.js is missing.");
        using var reader = new StreamReader(stream);
        return $"<!doctype html><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>browser client test</title><script type=\"module\">\n{reader.ReadToEnd()}\n</script>";
    }
}
