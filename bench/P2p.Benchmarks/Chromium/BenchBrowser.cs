using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Playwright;
using P2p.Testing.Chromium;

namespace P2p.Benchmarks.Chromium;

/// <summary>
/// Headless Debian Chromium (the harness's executable and flags, INTEROP.md) for the benchmarks. Every
/// peer gets its own browser context and page (its own renderer, like two tabs of two sites), served by
/// request interception from a cross-origin-isolated loopback origin (performance.now() at ~5 µs) with
/// the camera permission, so Chromium gathers plain 127.0.0.1 candidates. The page script is
/// bench-page.js: measured loops run inside the page.
/// </summary>
internal sealed class BenchBrowser : IAsyncDisposable
{
    private const string Origin = "http://127.0.0.1:9";
    private static readonly string PageScript = ReadResource("bench-page.js");
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly ConcurrentDictionary<string, BenchPeer> _peers = new();
    private int _pages;

    private BenchBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>"Chromium 156.0.…" as the browser reports it.</summary>
    public string Version => _browser.Version;

    public static bool IsAvailable => ChromiumSession.IsAvailable;

    public static async Task<BenchBrowser> LaunchAsync()
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException($"{ChromiumSession.ExecutablePath} is missing (apt-get install chromium; ./test.sh installs it).");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumSession.ExecutablePath,
                Headless = true,
                Args = ChromiumSession.LaunchFlags,
                Timeout = 60_000,
            });
            return new BenchBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A new context and page holding one RTCPeerConnection named <paramref name="name"/>.</summary>
    public async Task<BenchPeer> NewPeerAsync(string name)
    {
        var context = await _browser.NewContextAsync();
        await context.GrantPermissionsAsync(["camera", "microphone"], new BrowserContextGrantPermissionsOptions { Origin = Origin });
        await context.RouteAsync(Origin + "/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "text/html",
            Body = "<!doctype html><title>p2p bench</title><body>p2p bench</body>",
            Headers = new Dictionary<string, string>
            {
                ["Cross-Origin-Opener-Policy"] = "same-origin",
                ["Cross-Origin-Embedder-Policy"] = "require-corp",
            },
        }));
        var page = await context.NewPageAsync();
        await page.ExposeFunctionAsync<string, string?, bool>("__benchCandidate", (peer, json) =>
        {
            if (_peers.TryGetValue(peer, out var p))
            {
                p.OnLocalCandidate(json);
            }

            return true;
        });
        await page.AddInitScriptAsync(PageScript);
        await page.GotoAsync($"{Origin}/bench{Interlocked.Increment(ref _pages)}");
        var peer = new BenchPeer(context, page, name);
        if (!_peers.TryAdd(name, peer))
        {
            throw new ArgumentException($"A peer named {name} exists already.", nameof(name));
        }

        await peer.CreateAsync();
        return peer;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _browser.CloseAsync();
        }
        finally
        {
            _playwright.Dispose();
        }
    }

    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
