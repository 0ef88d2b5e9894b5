using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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
internal sealed class BrowserClientServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BrowserClientServer(WebApplication app, Uri httpUri, string pattern)
    {
        _app = app;
        HttpUri = new Uri(httpUri, pattern);
        WebSocketUri = new UriBuilder(HttpUri) { Scheme = "ws" }.Uri;
    }

    /// <summary>The endpoint as a page URL, e.g. http://127.0.0.1:41234/.</summary>
    public Uri HttpUri { get; }

    /// <summary>The endpoint as a WebSocket URL, e.g. ws://127.0.0.1:41234/.</summary>
    public Uri WebSocketUri { get; }

    public static async Task<BrowserClientServer> StartAsync(string pattern = "/", bool serveBrowserClient = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("P2P_TEST_LOG") == "1")
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(LogLevel.Debug);
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddP2pSignaling(o => o.ServeBrowserClient = serveBrowserClient);
        var app = builder.Build();
        app.MapP2pSignaling(pattern);
        var driver = BrowserClientPage.DriverHtml();
        app.MapGet(BrowserClientPage.DriverPath, () => Results.Content(driver, "text/html; charset=utf-8"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BrowserClientServer(app, new Uri(address), pattern);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
