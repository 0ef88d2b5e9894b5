using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Playwright;

namespace P2p.Testing.Chromium;

/// <summary>
/// Headless Debian Chromium driven by Playwright, as a real foreign WebRTC peer. Pages are served by
/// request interception from a loopback origin (no HTTP server needed), and the page's context is
/// granted the camera permission so that Chromium offers plain 127.0.0.1 host candidates instead of
/// mDNS names (see INTEROP.md).
/// </summary>
public sealed class ChromiumSession : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";
    private const string Origin = "http://127.0.0.1:9";

    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--allow-loopback-in-peer-connection",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext? _context;
    private readonly bool _grantMediaPermission;
    private readonly ConcurrentDictionary<string, BrowserPeer> _peers = new();
    private int _pageCount;

    private ChromiumSession(IPlaywright playwright, IBrowser browser, IBrowserContext? context, bool grantMediaPermission)
    {
        _playwright = playwright;
        _browser = browser;
        _context = context;
        _grantMediaPermission = grantMediaPermission;
    }

    /// <summary>The browser's version, e.g. "156.0.8078.79".</summary>
    public string BrowserVersion => _browser.Version;

    /// <summary>The command-line switches every harness launch uses (INTEROP.md).</summary>
    public static IReadOnlyList<string> LaunchFlags => Flags;

    /// <summary>The in-page helper script (Browser/rtc-peer.js).</summary>
    public static string PageScript { get; } = ReadResource("rtc-peer.js");

    /// <summary>True when Debian's Chromium is installed (test.sh installs it).</summary>
    public static bool IsAvailable => File.Exists(ExecutablePath);

    /// <param name="grantMediaPermission">
    /// Grant the camera/microphone permission (default): Chromium then offers its real host addresses.
    /// Without it Chromium offers only mDNS (<c>&lt;uuid&gt;.local</c>) host candidates, as for most real pages.
    /// </param>
    /// <param name="contextPerPeer">
    /// Give every peer its own browser context (like pages of unrelated sites: separate renderers and
    /// storage), as the benchmarks do; by default all pages share one context.
    /// </param>
    /// <param name="executablePath">
    /// What to launch instead of <see cref="ExecutablePath"/>: for example a wrapper script that runs Chromium inside
    /// a network namespace (<c>exec ip netns exec NS /usr/bin/chromium "$@"</c>).
    /// </param>
    public static async Task<ChromiumSession> LaunchAsync(bool grantMediaPermission = true, bool contextPerPeer = false, string? executablePath = null)
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: run ./test.sh, which installs Chromium.");
        }

        var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executablePath ?? ExecutablePath,
                Headless = true,
                Args = Flags,
                Timeout = 60_000,
            }).ConfigureAwait(false);
            var context = contextPerPeer ? null : await NewContextAsync(browser, grantMediaPermission).ConfigureAwait(false);
            return new ChromiumSession(playwright, browser, context, grantMediaPermission);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens a new page and creates one named RTCPeerConnection in it.</summary>
    public async Task<BrowserPeer> NewPeerAsync(string name, string? configurationJson = null)
    {
        var ownContext = _context is null ? await NewContextAsync(_browser, _grantMediaPermission).ConfigureAwait(false) : null;
        var page = await (_context ?? ownContext!).NewPageAsync().ConfigureAwait(false);
        var pageErrors = new ConcurrentQueue<string>();
        page.PageError += (_, error) => pageErrors.Enqueue(error);
        await page.ExposeFunctionAsync<string, string?, bool>("__p2pCandidate", (peer, json) =>
        {
            if (_peers.TryGetValue(peer, out var p))
            {
                p.OnLocalCandidate(json);
            }

            return true;
        }).ConfigureAwait(false);
        await page.AddInitScriptAsync(PageScript).ConfigureAwait(false);
        await page.GotoAsync($"{Origin}/page{Interlocked.Increment(ref _pageCount)}").ConfigureAwait(false);
        var browserPeer = new BrowserPeer(page, name, pageErrors, ownContext);
        if (!_peers.TryAdd(name, browserPeer))
        {
            throw new ArgumentException($"A browser peer named {name} already exists.", nameof(name));
        }

        await browserPeer.CreateAsync(configurationJson).ConfigureAwait(false);
        return browserPeer;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_context is not null)
            {
                await _context.CloseAsync().ConfigureAwait(false);
            }

            await _browser.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _playwright.Dispose();
        }
    }

    /// <summary>A context serving the loopback origin (cross-origin isolated), with the media permission when asked.</summary>
    private static async Task<IBrowserContext> NewContextAsync(IBrowser browser, bool grantMediaPermission)
    {
        var context = await browser.NewContextAsync().ConfigureAwait(false);
        if (grantMediaPermission)
        {
            await context.GrantPermissionsAsync(["camera", "microphone"], new BrowserContextGrantPermissionsOptions { Origin = Origin }).ConfigureAwait(false);
        }

        await context.RouteAsync(Origin + "/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "text/html",
            Body = "<!doctype html><title>p2p interop</title><body>p2p interop</body>",
            // Cross-origin isolation gives performance.now() ~5 µs resolution instead of 100 µs.
            Headers = new Dictionary<string, string>
            {
                ["Cross-Origin-Opener-Policy"] = "same-origin",
                ["Cross-Origin-Embedder-Policy"] = "require-corp",
            },
        })).ConfigureAwait(false);
        return context;
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
