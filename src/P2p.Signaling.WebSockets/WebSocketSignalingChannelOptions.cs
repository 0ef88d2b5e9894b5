using System.Net.WebSockets;

namespace P2p.Signaling.WebSockets;

/// <summary>Settings of a <see cref="WebSocketSignalingChannel"/>.</summary>
public sealed class WebSocketSignalingChannelOptions
{
    /// <summary>
    /// How long a call waits for its answer before failing with
    /// <see cref="Abstractions.SignalingErrorCode.RequestTimeout"/>. Default 40 s: longer than the
    /// server's 30 s relay timeout, so a relay to a silent member fails with the server's clearer
    /// <see cref="Abstractions.SignalingErrorCode.RelayTimeout"/>. <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>How long <see cref="WebSocketSignalingChannel.ConnectAsync"/> may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long disposal waits for queued messages and the closing handshake before aborting the socket. Default 2 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The largest message accepted from the server, in bytes. Default 4 MiB (a relayed 1 MiB payload
    /// arrives wrapped in a slightly larger message). Larger messages are dropped: a relay request
    /// is answered with <see cref="Abstractions.SignalingErrorCode.MessageTooLarge"/>, a response
    /// fails its call with that code.
    /// </summary>
    public int MaxMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>WebSocket keep-alive (ping) interval. Default 5 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long to wait for the pong to a keep-alive ping before the connection counts as dead and
    /// drops (default 10 s), so a server that vanished without closing TCP is noticed (and, with
    /// <see cref="Reconnect"/>, the channel reconnects). <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reconnect and resume the session (same user id, same group memberships) when the connection drops
    /// without a close the channel asked for: a failure, a keep-alive timeout, or a server close with 1001
    /// (going away), 1011 (internal error) or 1012 (service restart). Default <see langword="true"/>. Needs a server
    /// with the resume extension (<c>get_resume_token</c>); the channel fetches a token in
    /// <see cref="WebSocketSignalingChannel.InitAsync"/> and after each resume. <see langword="false"/>: a drop closes
    /// the channel, as before the extension.
    /// </summary>
    public bool Reconnect { get; set; } = true;

    /// <summary>
    /// How long the channel keeps trying to reconnect before it closes for good (default 30 s, the server's
    /// default grace period).
    /// </summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The delay before the second reconnection attempt (the first is immediate); it doubles up to <see cref="ReconnectMaxDelay"/>, with ±20 % jitter. Default 250 ms.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between two reconnection attempts. Default 5 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Supplies the access token (e.g. a JWT) sent as <c>Authorization: Bearer &lt;token&gt;</c> with the WebSocket
    /// upgrade request, for a server whose endpoint requires authentication. Called before every connection
    /// attempt: <see cref="WebSocketSignalingChannel.ConnectAsync"/> and every reconnection, so it can hand out a
    /// fresh token when the previous one has expired. <see langword="null"/> (default), or a provider returning
    /// <see langword="null"/> or an empty string: no header. An exception from it fails that attempt like a
    /// network error (<see cref="Abstractions.SignalingErrorCode.ConnectionClosed"/>; reconnecting tries again).
    /// A server that refuses the upgrade (HTTP 401 or 403) fails <see cref="WebSocketSignalingChannel.ConnectAsync"/>
    /// with <see cref="Abstractions.SignalingErrorCode.Forbidden"/>, and ends reconnecting (the channel closes).
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>Further settings for the <see cref="ClientWebSocket"/> (headers, proxy, certificates...).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>
    /// The clock of the channel's timers: <see cref="RequestTimeout"/>, <see cref="ConnectTimeout"/>,
    /// <see cref="CloseTimeout"/> and the reconnection back-off and <see cref="ReconnectTimeout"/>. Default <see cref="TimeProvider.System"/>; a fake one
    /// (e.g. <c>FakeTimeProvider</c>) makes them testable in virtual time. The WebSocket's own
    /// keep-alive (<see cref="KeepAliveInterval"/>, <see cref="KeepAliveTimeout"/>) runs inside
    /// <see cref="ClientWebSocket"/> on the system clock.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal WebSocketSignalingChannelOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageSize, 1024, nameof(MaxMessageSize));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        if (RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectTimeout, TimeSpan.Zero, nameof(ReconnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectInitialDelay, TimeSpan.Zero, nameof(ReconnectInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMaxDelay, ReconnectInitialDelay, nameof(ReconnectMaxDelay));
        return this;
    }
}
