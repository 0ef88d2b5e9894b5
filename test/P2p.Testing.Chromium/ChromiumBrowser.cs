using Microsoft.Playwright;

namespace P2p.Testing.Chromium;

/// <summary>
/// Headless Debian Chromium for pages loaded from a real HTTP origin (for example the signaling server,
/// which serves the browser client): unlike <see cref="ChromiumSession"/> nothing is intercepted unless
/// the caller routes it. Contexts are granted the camera and microphone permissions for their origin, so
/// that Chromium offers plain 127.0.0.1 host candidates instead of mDNS names (INTEROP.md).
/// </summary>
public sealed class ChromiumBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private ChromiumBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    /// <summary>The launched browser.</summary>
    public IBrowser Browser { get; }

    /// <summary>Launches /usr/bin/chromium headless with the harness's flags.</summary>
    public static async Task<ChromiumBrowser> LaunchAsync()
    {
        if (!ChromiumSession.IsAvailable)
        {
            throw new InvalidOperationException($"{ChromiumSession.ExecutablePath} is missing: run ./test.sh, which installs Chromium.");
        }

        var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumSession.ExecutablePath,
                Headless = true,
                Args = ChromiumSession.LaunchFlags,
                Timeout = 60_000,
            }).ConfigureAwait(false);
            return new ChromiumBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A new context whose pages on <paramref name="origin"/> may use the camera and microphone (and so gather 127.0.0.1 candidates).</summary>
    public async Task<IBrowserContext> NewContextAsync(Uri origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        var context = await Browser.NewContextAsync().ConfigureAwait(false);
        var text = origin.GetLeftPart(UriPartial.Authority);
        await context.GrantPermissionsAsync(["camera", "microphone", "clipboard-read", "clipboard-write"], new BrowserContextGrantPermissionsOptions { Origin = text }).ConfigureAwait(false);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Browser.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _playwright.Dispose();
        }
    }
}
