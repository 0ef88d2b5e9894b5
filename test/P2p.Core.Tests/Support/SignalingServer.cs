using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2p.Signaling.Server;

namespace P2p.Core.Tests.Support;

/// <summary>The real signaling server (Kestrel) on 127.0.0.1 and a free port.</summary>
public sealed class SignalingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SignalingServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    /// <summary>The WebSocket endpoint, <c>ws://127.0.0.1:PORT/</c>.</summary>
    public Uri Uri { get; }

    public static async Task<SignalingServer> StartAsync(Action<SignalingServerOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddP2pSignaling(configure);
        var app = builder.Build();
        app.MapP2pSignaling("/");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SignalingServer(app, new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
