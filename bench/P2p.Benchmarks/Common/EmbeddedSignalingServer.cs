using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2p.Signaling.Server;

namespace P2p.Benchmarks.Common;

/// <summary>The signaling server hosted in this process on 127.0.0.1 and a free port.</summary>
internal sealed class EmbeddedSignalingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedSignalingServer(WebApplication app, Uri httpUri)
    {
        _app = app;
        HttpUri = httpUri;
        Uri = new Uri(httpUri.ToString().Replace("http://", "ws://", StringComparison.Ordinal));
    }

    /// <summary>The WebSocket endpoint, <c>ws://127.0.0.1:PORT/</c>.</summary>
    public Uri Uri { get; }

    /// <summary>The same endpoint over HTTP (the browser client and its demo page, when served).</summary>
    public Uri HttpUri { get; }

    public static async Task<EmbeddedSignalingServer> StartAsync(bool serveBrowserClient = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddP2pSignaling(o => o.ServeBrowserClient = serveBrowserClient);
        var app = builder.Build();
        app.MapP2pSignaling("/");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EmbeddedSignalingServer(app, new Uri(address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
