using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace P2p.Signaling.WebSockets.Tests.Support;

/// <summary>
/// A fake signaling server on Kestrel (127.0.0.1, a free port) whose every message the test writes
/// by hand, so the client is tested against literal JSON independently of the real server.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ServerSide> _connections = Channel.CreateUnbounded<ServerSide>();
    private readonly List<ServerSide> _all = [];

    private ScriptedServer(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;

    /// <summary>When set, upgrade requests are answered with this HTTP status instead of a WebSocket (e.g. 401).</summary>
    public int? RefuseWith { get; set; }

    public static async Task<ScriptedServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new ScriptedServer(app);
        app.UseWebSockets();
        app.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            if (server.RefuseWith is { } status)
            {
                context.Response.StatusCode = status;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var side = new ServerSide(socket, context);
            lock (server._all)
            {
                server._all.Add(side);
            }

            await server._connections.Writer.WriteAsync(side);
            await side.Done.Task;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/");
        return server;
    }

    public async Task<ServerSide> AcceptAsync() => await _connections.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public async ValueTask DisposeAsync()
    {
        lock (_all)
        {
            foreach (var side in _all)
            {
                side.Abort();
            }
        }

        await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token);
        await _app.DisposeAsync();
    }

    /// <summary>The server's end of one client connection.</summary>
    internal sealed class ServerSide(WebSocket socket, HttpContext context)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public WebSocket Socket { get; } = socket;

        /// <summary>The upgrade request's <c>Authorization</c> header, if any.</summary>
        public string? Authorization { get; } = context.Request.Headers.Authorization.ToString() is { Length: > 0 } value ? value : null;

        /// <summary>Complete to let the request (and the socket) end.</summary>
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task SendAsync(string json)
        {
            await _sendLock.WaitAsync();
            try
            {
                await Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        /// <summary>Receives one text message (or null on close).</summary>
        public async Task<string?> ReceiveTextAsync(TimeSpan? timeout = null)
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
            var buffer = new byte[1 << 20];
            var count = 0;
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer.AsMemory(count), cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                count += result.Count;
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(buffer, 0, count);
                }
            }
        }

        public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? timeout = null)
        {
            var text = await ReceiveTextAsync(timeout) ?? throw new InvalidOperationException("The client closed the connection.");
            return JsonElement.Parse(text);
        }

        /// <summary>Kills the TCP connection without a closing handshake (the server "disappears").</summary>
        public void Abort()
        {
            if (Done.Task.IsCompleted)
            {
                return; // the request already ended
            }

            context.Abort();
            Done.TrySetResult();
        }
    }
}
