using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using P2p.Signaling.Server;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// The real signaling server, hosted as a library user would (<c>AddP2pSignaling</c>/<c>MapP2pSignaling</c>) on
/// Kestrel at 127.0.0.1 and a free port, serving the browser client from the same origin. The test host also
/// serves the in-page test driver (<see cref="BrowserClientPage.DriverPath"/>): a page must come from the
/// loopback origin over the network, because Chromium's local network access checks block a page that
/// Playwright fulfilled itself (of unknown address space) from opening a WebSocket to 127.0.0.1.
/// </summary>
internal sealed class BrowserClientServer(EmbeddedSignalingServer server) : IAsyncDisposable
{
    public Uri HttpUri { get; } = server.HttpUri;

    public Uri WebSocketUri { get; } = server.Uri;

    public static async Task<BrowserClientServer> StartAsync(string pattern = "/", bool serveBrowserClient = true, Action<SignalingServerOptions>? configure = null)
    {
        var driver = BrowserClientPage.DriverHtml();
        return new BrowserClientServer(await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions
        {
            Path = pattern,
            Configure = o =>
            {
                o.ServeBrowserClient = serveBrowserClient;
                configure?.Invoke(o);
            },
            LoggerFactory = Environment.GetEnvironmentVariable("P2P_TEST_LOG") == "1"
                ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(LogLevel.Debug))
                : null,
            ConfigureApplication = app => app.MapGet(BrowserClientPage.DriverPath, () => Results.Content(driver, "text/html; charset=utf-8")),
        }));
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
