using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server;

/// <summary>
/// One client's WebSocket: a read loop that parses and answers its messages, a
/// <see cref="FrameSender"/> that is the only writer to the socket (one queue, one sender at a time,
/// so sends never overlap), and the relays this client is the target of (waiting for its answers).
/// </summary>
/// <remarks>
/// The read loop never waits for a relay's answer: a relay is checked, forwarded (queued to the
/// target in the order received) and the loop moves on. The target's answer arrives on the target's
/// own read loop, which queues it to the sender.
/// </remarks>
internal sealed partial class SignalingConnection : ISignalingPeer, IDisposable
{
    private readonly SignalingHub _hub;
    private readonly WebSocket _socket;
    private readonly long _id;
    private readonly SignalingServerOptions _options;
    private readonly FrameSender _sender;
    private readonly Lock _closeGate = new();
    private Task? _closing;

    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Groups this user is a member of; touched by the read loop only.
    private readonly Diagnostics.GroupMembershipSet _groups;

    // Relays this user is the target of, by the id the server gave them on this connection.
    private readonly PendingRelayTable _relays = new();

    private int _outstandingRelays;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string? _closeDescription;
    private string? _userId;
    private bool _closeReceived;

    /// <param name="hub">The server.</param>
    /// <param name="socket">The accepted WebSocket.</param>
    /// <param name="id">The connection's number (for logs).</param>
    /// <param name="user">The authenticated user, if any.</param>
    /// <param name="remoteAddress">The client's address, if known.</param>
    /// <param name="tap">The stream under <paramref name="socket"/>, to write queued messages to in one write; <see langword="null"/> to send through the socket.</param>
    public SignalingConnection(SignalingHub hub, WebSocket socket, long id, ClaimsPrincipal? user = null, IPAddress? remoteAddress = null, ConnectionTap? tap = null)
    {
        _hub = hub;
        _user = user ?? new ClaimsPrincipal(new ClaimsIdentity());
        _remoteAddress = remoteAddress;
        _socket = socket;
        _id = id;
        _options = hub.Options;
        _sender = new FrameSender(socket, _ => Abort(), tap);
        _groups = new(hub.Metrics);
    }

    public string UserId => _userId ?? "";

    /// <summary>Completes when the connection has closed and cleaned up.</summary>
    public Task Completion => _completion.Task;

    private CancellationToken Token => _abort.Token;

    /// <summary>Runs the connection until the client closes it, it fails, or the server stops.</summary>
    public async Task RunAsync(string remote, CancellationToken requestAborted)
    {
        Log.ConnectionOpened(_hub.Logger, _id, remote);
        using var aborted = requestAborted.Register(static s => ((SignalingConnection)s!).Abort(), this);
        var reason = "the client closed the connection";
        try
        {
            using var reader = new WebSocketMessageReader(_options.MaxMessageSize);
            while (true)
            {
                var (kind, length) = await reader.ReceiveAsync(_socket, Token);
                if (kind == ReceivedMessageKind.Close)
                {
                    _closeReceived = true;
                    reason = _closeDescription ?? reason;
                    break;
                }

                switch (kind)
                {
                    case ReceivedMessageKind.Text:
                        await OnMessageAsync(reader.Buffer, length);
                        break;
                    case ReceivedMessageKind.TooLarge:
                        OnMessageTooLarge(reader.Buffer.AsSpan(0, length));
                        break;
                    default:
                        Reject(RequestId.Null, SignalingErrorCode.InvalidRequest, "Binary messages are not supported: send JSON-RPC as text.");
                        break;
                }

                reader.Trim();
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            reason = _closeDescription ?? "aborted";
        }
        catch (OperationCanceledException)
        {
            reason = "connection aborted";
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
            reason = $"connection lost ({ex.Message})";
        }
        catch (Exception ex)
        {
            Log.Unexpected(_hub.Logger, _id, ex);
            reason = "internal error";
        }
        finally
        {
            await CleanupAsync();
            await CloseAsync();

            Log.ConnectionClosed(_hub.Logger, _id, _userId, reason);
            _completion.TrySetResult();
        }
    }

    /// <summary>Asks for an orderly close: queued messages go out, then a close frame with this status.</summary>
    public void RequestClose(WebSocketCloseStatus status, string description)
    {
        _closeStatus = status;
        _closeDescription = description;
        _ = CloseAsync();
    }

    /// <summary>Sends what is queued, then the close frame (once); aborts if that takes longer than the close timeout.</summary>
    private Task CloseAsync()
    {
        lock (_closeGate)
        {
            return _closing ??= CloseCoreAsync();
        }
    }

    private async Task CloseCoreAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.CloseTimeout);
            await _sender.CompleteAsync().WaitAsync(timeout.Token);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(_closeStatus, _closeDescription, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Abort();
        }
    }

    /// <summary>Aborts the socket at once (the read loop then cleans up).</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>Releases the abort token source (after <see cref="RunAsync"/> finished).</summary>
    public void Dispose() => _abort.Dispose();

    /// <summary>Queues a frame for sending; takes ownership of it. A client too far behind is disconnected.</summary>
    private bool Enqueue(OutgoingFrame frame)
    {
        var queued = _sender.QueuedBytes + frame.Length;
        if (queued > _options.MaxSendQueueBytes)
        {
            frame.Release();
            Log.SlowConsumer(_hub.Logger, _id, _userId, queued);
            _closeDescription = "send queue limit exceeded";
            Abort();
            return false;
        }

        return _sender.TryEnqueue(frame);
    }

    /// <summary>
    /// After the socket closed: relays waiting for this client fail at once (target gone) and the user is
    /// unregistered. After a close handshake it leaves every group (the other members get <c>member_left</c>);
    /// a connection that ended without one (reset, keep-alive timeout, send failure) is detached instead: its
    /// groups are kept for the resume grace period.
    /// </summary>
    private async Task CleanupAsync()
    {
        foreach (var relay in _relays.Close())
        {
            relay.Caller.FailRelay(relay.CallerRequestId, SignalingErrorCode.TargetUnavailable, $"User '{_userId}' disconnected before answering.");
        }

        if (_userId is null)
        {
            return;
        }

        // A drain (stopping with a backplane) detaches too, so the member can resume on another instance.
        var detach = _options.ResumeGracePeriod > TimeSpan.Zero && (_hub.IsStopping ? _hub.Redis is not null : !_closeReceived);
        if (detach)
        {
            // Detached before unregistered: a resuming connection always finds either this connection
            // (and waits for it to end) or the detached session, never neither.
            Log.Detached(_hub.Logger, _id, _userId, _groups.Count, _options.ResumeGracePeriod);
            try
            {
                await _hub.Sessions.DetachAsync(new Sessions.DetachedSession(_userId, [.. _groups]));
                await _hub.Peers.UnregisterAsync(this);
                _groups.Clear();
                return;
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // The backplane is unreachable: the member cannot be parked; it leaves below (as far as that works).
                Redis.RedisLog.CallFailed(_hub.Logger, _id, ex.Message);
            }
        }

        await _hub.Peers.UnregisterAsync(this);
        await _hub.RemoveMemberAsync(_userId, [.. _groups], " (disconnected)");
        _groups.Clear();
    }
}
