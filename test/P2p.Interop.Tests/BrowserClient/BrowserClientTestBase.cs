using System.Text.Json;
using NUnit.Framework.Interfaces;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// Pages on the shared signaling server (<see cref="BrowserClientEnvironment"/>); pages opened by a test are
/// closed after it (with their logs printed when it failed).
/// </summary>
public abstract class BrowserClientTestBase
{
    /// <summary>How long a page waits for something that takes a few hundred milliseconds on loopback.</summary>
    protected const int WaitMs = 15_000;

    private readonly List<BrowserClientPage> _pages = [];
    private readonly Dictionary<Uri, Microsoft.Playwright.IBrowserContext> _contexts = [];
    private int _pageNumber;

    internal static BrowserClientServer Server => BrowserClientEnvironment.Server;

    /// <summary>Fixtures whose pages serve all their tests (opened in a OneTimeSetUp) keep them after each test.</summary>
    protected virtual bool KeepPagesBetweenTests => false;

    [TearDown]
    public Task ClosePagesAsync() => KeepPagesBetweenTests ? Task.CompletedTask : ClosePagesCoreAsync();

    /// <summary>Closes the pages opened so far (printing their logs when the test failed).</summary>
    internal async Task ClosePagesCoreAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status != TestStatus.Passed)
        {
            foreach (var page in _pages)
            {
                await TestContext.Out.WriteLineAsync(await page.DiagnosticsAsync());
            }
        }

        foreach (var page in _pages)
        {
            await page.CloseAsync();
        }

        _pages.Clear();
        foreach (var context in _contexts.Values)
        {
            await context.CloseAsync();
        }

        _contexts.Clear();
    }

    /// <summary>A page on the server's origin with the client connected to the server (not in a group yet).</summary>
    /// <param name="name">The page's name in logs.</param>
    /// <param name="connect">Connect the client to the server.</param>
    /// <param name="origin">The server to load the page from and connect to; default the shared one.</param>
    internal async Task<BrowserClientPage> OpenAsync(string? name = null, bool connect = true, BrowserClientServer? origin = null)
    {
        var context = BrowserClientEnvironment.Context;
        if (origin is null)
        {
            origin = Server;
        }
        else if (!_contexts.TryGetValue(origin.HttpUri, out context))
        {
            // Chromium gathers 127.0.0.1 candidates only for an origin granted the camera permission: one context per origin.
            context = await BrowserClientEnvironment.Chromium.NewContextAsync(origin.HttpUri);
            _contexts[origin.HttpUri] = context;
        }

        var page = await BrowserClientPage.OpenAsync(context, origin.HttpUri, name ?? $"page{++_pageNumber}");
        _pages.Add(page);
        if (connect)
        {
            await page.ConnectAsync(origin.WebSocketUri);
        }

        return page;
    }

    /// <summary>A page's received broadcasts (<c>waitReceived</c>) as "from:text".</summary>
    protected static IEnumerable<string> Texts(JsonElement received) =>
        received.EnumerateArray().Select(r => $"{r.GetProperty("from").GetString()}:{r.GetProperty("text").GetString()}");

    /// <summary>
    /// <paramref name="count"/> pages in one group: the first creates it with <paramref name="capability"/>, the
    /// others join one after another; returns once every member is connected to every other.
    /// </summary>
    internal async Task<BrowserClientPage[]> FormGroupAsync(int count, int capability = 15)
    {
        var pages = new BrowserClientPage[count];
        for (var i = 0; i < count; i++)
        {
            pages[i] = await OpenAsync($"member{i}-{++_pageNumber}");
        }

        var group = await pages[0].CallAsync("create", capability);
        var groupId = group.GetProperty("id").GetString()!;
        for (var i = 1; i < count; i++)
        {
            await pages[i].CallAsync("join", groupId);
        }

        foreach (var page in pages)
        {
            await page.CallAsync("waitConnected", count - 1, WaitMs);
        }

        return pages;
    }

    internal static void AssertNoPageErrors(params BrowserClientPage[] pages)
    {
        foreach (var page in pages)
        {
            Assert.That(page.PageErrors, Is.Empty, $"page errors in {page.Name}");
        }
    }

    internal static string[] MemberIds(JsonElement info) =>
        [.. info.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
}
