using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace P2p.Signaling.Server;

/// <summary>
/// The signaling server running inside the calling process (Kestrel on 127.0.0.1 and a free port by
/// default): for demos, tests and small apps that need no separate server process.
/// </summary>
/// <example>
/// <code>
/// await using var server = await EmbeddedSignalingServer.StartAsync();
/// var signaling = await WebSocketSignalingChannel.ConnectAsync(server.Uri);
/// </code>
/// </example>
public sealed class EmbeddedSignalingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedSignalingServer(WebApplication app, Uri httpUri)
    {
        _app = app;
        HttpUri = httpUri;
        Uri = new UriBuilder(httpUri) { Scheme = httpUri.Scheme == "https" ? "wss" : "ws" }.Uri;
    }

    /// <summary>The WebSocket endpoint, e.g. <c>ws://127.0.0.1:PORT/</c>.</summary>
    public Uri Uri { get; }

    /// <summary>The same endpoint over HTTP (where the browser client is served when enabled).</summary>
    public Uri HttpUri { get; }

    /// <summary>The server's services (its group store, options, ...).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server and returns once it listens.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    public static async Task<EmbeddedSignalingServer> StartAsync(EmbeddedSignalingServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedSignalingServerOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.WebHost.UseUrls(options.Url);
        options.ConfigureServices?.Invoke(builder.Services);
        var resumeKey = options.ResumeKey;
        builder.Services.AddP2pSignaling(o =>
        {
            options.Configure?.Invoke(o);
            if (resumeKey is not null)
            {
                o.ResumeKey = resumeKey;
            }
        });
        var app = builder.Build();
        try
        {
            app.MapP2pSignaling(options.Path);
            if (options.HealthPath is { } healthPath)
            {
                app.MapP2pSignalingHealthChecks(healthPath);
            }

            options.ConfigureApplication?.Invoke(app);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new EmbeddedSignalingServer(app, new Uri(new Uri(address), options.Path));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops listening and closes every connection.</summary>
    /// <param name="cancellationToken">Ends a graceful stop early.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Stops the server (giving connections up to 5 s) and releases it.</summary>
    /// <returns>A task that completes when the server is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
