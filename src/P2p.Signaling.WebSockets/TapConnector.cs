using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.WebSockets;

/// <summary>
/// Connects a <see cref="ClientWebSocket"/> through an HTTP handler of its own that slips a <see cref="ConnectionTap"/>
/// under it, so <see cref="FrameSender"/> can write several messages in one write (and mask them without a random-number
/// call each). Only when the socket's options allow a custom handler and change nothing that the tap depends on
/// (credentials, client certificates, certificate validation, cookies, a custom proxy, HTTP/2, compression); otherwise
/// the socket connects as usual and messages go through <see cref="WebSocket.SendAsync(ReadOnlyMemory{byte}, WebSocketMessageType, bool, CancellationToken)"/>.
/// </summary>
internal static class TapConnector
{
    // The marker ClientWebSocket uses for "the default proxy" (HttpClient.DefaultProxy), as opposed to a custom one.
    private static readonly IWebProxy? DefaultProxy = GetDefaultProxyMarker();

    /// <summary>Connects <paramref name="socket"/>; returns the tap under it, or <see langword="null"/> when it connected without one.</summary>
    public static async Task<ConnectionTap?> ConnectAsync(ClientWebSocket socket, Uri uri, CancellationToken cancellationToken)
    {
        var options = socket.Options;
        if (!CanTap(options))
        {
            await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
            return null;
        }

        ConnectionTap? tap = null;

        // As ClientWebSocket's own handler: no pooling, no cookies, the default proxy unless the options say none.
        // Disposing it after the upgrade leaves the upgraded connection (owned by the socket) open.
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            UseCookies = false,
            UseProxy = options.Proxy is not null,
            PlaintextStreamFilter = (context, _) =>
            {
                var created = new ConnectionTap(context.PlaintextStream, isClient: true);
                tap = created;
                return ValueTask.FromResult<Stream>(created);
            },
        });
        await socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
        return tap;
    }

    /// <summary>Whether the options leave the connection to a handler of ours and the wire as plain HTTP/1.1 WebSocket frames.</summary>
    public static bool CanTap(ClientWebSocketOptions options) =>
        !options.UseDefaultCredentials
        && options.Credentials is null
        && options.ClientCertificates.Count == 0
        && options.RemoteCertificateValidationCallback is null
        && options.Cookies is null
        && (options.Proxy is null || ReferenceEquals(options.Proxy, DefaultProxy))
        && options.HttpVersion == HttpVersion.Version11
        && options.HttpVersionPolicy == HttpVersionPolicy.RequestVersionOrLower
        && options.DangerousDeflateOptions is null;

    private static IWebProxy? GetDefaultProxyMarker()
    {
        using var probe = new ClientWebSocket();
        return probe.Options.Proxy;
    }
}
