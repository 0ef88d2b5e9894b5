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
    }

    /// <summary>A page on the server's origin with the client connected to the server (not in a group yet).</summary>
    internal async Task<BrowserClientPage> OpenAsync(string? name = null, bool connect = true)
    {
        var page = await BrowserClientPage.OpenAsync(BrowserClientEnvironment.Context, Server.HttpUri, name ?? $"page{++_pageNumber}");
        _pages.Add(page);
        if (connect)
        {
            await page.ConnectAsync(Server.WebSocketUri);
        }

        return page;
    }

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
