using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.WebSockets;

/// <summary>
/// <see cref="ISignalingChannel"/> over a WebSocket speaking the P2p JSON-RPC 2.0 signaling protocol
/// (<c>docs/protocol.md</c>), e.g. to <c>P2p.Signaling.Server</c> at <c>ws://127.0.0.1:3001/</c>.
/// </summary>
/// <remarks>
/// <para>One receive loop reads messages and matches responses to calls by id; outgoing messages go
/// through one queue with a single sender at a time, so the socket never sees concurrent sends. Relay requests from the server run
/// their <see cref="RelayHandler"/> on the thread pool, concurrently, and are answered by id.
/// Membership events are raised on the receive loop, in the order the server sent them: keep
/// handlers short.</para>
/// <para>When the socket drops unexpectedly (and <see cref="WebSocketSignalingChannelOptions.Reconnect"/> is on,
/// the channel was initialised and the server issued a resume token), the channel raises <see cref="Reconnecting"/>,
/// fails pending calls with <see cref="SignalingErrorCode.Reconnecting"/> and reconnects with back-off, resuming its
/// session (<c>resume</c>): same <see cref="UserId"/>, same groups, then <see cref="Reconnected"/>. Calls made meanwhile
/// fail at once with <see cref="SignalingErrorCode.Reconnecting"/>. If resuming is refused or
/// <see cref="WebSocketSignalingChannelOptions.ReconnectTimeout"/> passes, the channel closes.</para>
/// <para>When the channel closes, every pending call fails at once with
/// <see cref="SignalingErrorCode.ConnectionClosed"/>, <see cref="Closed"/> is raised, and later calls
/// throw immediately.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var channel = await WebSocketSignalingChannel.ConnectAsync(new Uri("ws://127.0.0.1:3001/"));
/// channel.RelayHandler = (relay, ct) => ValueTask.FromResult(relay.Data); // echo
/// var me = await channel.InitAsync();
/// var group = await channel.CreateGroupAsync(capability: null);
/// </code>
/// </example>
public sealed partial class WebSocketSignalingChannel : ISignalingChannel
{
    private const int Connected = 0;
    private const int ReconnectingState = 1;
    private const int ClosedState = 2;

    // Messages handled back to back before the answers held meanwhile are sent anyway.
    private const int MaxCorkedMessages = 32;

    private readonly Uri? _uri;
    private readonly WebSocketSignalingChannelOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, PendingCall> _pending = new();

    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationTokenSource _reconnectStop = new();
    private readonly TimeProvider _time;
    private readonly long _requestTimeout;
    private readonly ITimer? _timeoutTimer;
    private volatile SocketLink _link;
    private volatile Task _reconnectLoop = Task.CompletedTask;
    private long _nextId;
    private int _state;
    private int _disposed;
    private string _closeReason = "";
    private volatile string? _userId;

    private WebSocketSignalingChannel(WebSocket socket, ConnectionTap? tap, Uri? uri, WebSocketSignalingChannelOptions options, ILogger? logger)
    {
        _uri = uri;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = options.TimeProvider;
        _link = StartLink(socket, tap);
        if (options.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            // In the clock's timestamp units, so a call's deadline is one addition.
            _requestTimeout = (long)(options.RequestTimeout.TotalSeconds * _time.TimestampFrequency);
            var period = TimeSpan.FromTicks(Math.Clamp(options.RequestTimeout.Ticks / 8, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
            _timeoutTimer = _time.CreateTimer(static s => ((WebSocketSignalingChannel)s!).ExpireCalls(), this, period, period);
        }
    }

    /// <inheritdoc />
    public string? UserId => _userId;

    /// <inheritdoc />
    public bool IsClosed => Volatile.Read(ref _state) == ClosedState;

    /// <inheritdoc />
    public bool IsConnected => Volatile.Read(ref _state) == Connected;

    /// <inheritdoc />
    public Func<RelayRequest, CancellationToken, ValueTask<JsonElement>>? RelayHandler { get; set; }

    /// <inheritdoc />
    public event EventHandler<SignalingMemberEventArgs>? MemberJoined;

    /// <inheritdoc />
    public event EventHandler<SignalingMemberEventArgs>? MemberLeft;

    /// <inheritdoc />
    public event EventHandler<SignalingClosedEventArgs>? Closed;

    /// <inheritdoc />
    public event EventHandler<SignalingReconnectingEventArgs>? Reconnecting;

    /// <inheritdoc />
    public event EventHandler? Reconnected;

    /// <summary>Opens a WebSocket to a signaling server and returns the channel over it.</summary>
    /// <param name="uri">The server's endpoint, e.g. <c>ws://127.0.0.1:3001/</c>.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where to log; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <exception cref="SignalingException">The server could not be reached (<see cref="SignalingErrorCode.ConnectionClosed"/>), or
    /// refused the WebSocket upgrade with HTTP 401 or 403 (<see cref="SignalingErrorCode.Forbidden"/>, the message names the status; see
    /// <see cref="WebSocketSignalingChannelOptions.AccessTokenProvider"/>).</exception>
    public static async Task<WebSocketSignalingChannel> ConnectAsync(
        Uri uri,
        WebSocketSignalingChannelOptions? options = null,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options = (options ?? new WebSocketSignalingChannelOptions()).Validated();
        var (socket, tap) = await OpenSocketAsync(uri, options, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        Log.Connected(logger ?? NullLogger.Instance, uri);
        return new WebSocketSignalingChannel(socket, tap, uri, options, logger);
    }

    /// <summary>
    /// Opens a <see cref="ClientWebSocket"/> with the options' settings (and a fresh access token, if a provider is set),
    /// within <paramref name="timeout"/>. A refused upgrade (HTTP 401/403) throws <see cref="SignalingErrorCode.Forbidden"/>;
    /// other failures <see cref="SignalingErrorCode.ConnectionClosed"/>. Also returns the socket's <see cref="ConnectionTap"/>, if it has one (<see cref="TapConnector"/>).
    /// </summary>
    private static async Task<(ClientWebSocket Socket, ConnectionTap? Tap)> OpenSocketAsync(Uri uri, WebSocketSignalingChannelOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = options.KeepAliveInterval;
        socket.Options.KeepAliveTimeout = options.KeepAliveTimeout;
        socket.Options.CollectHttpResponseDetails = true; // to tell a refused upgrade (401/403) from a network failure
        options.ConfigureWebSocket?.Invoke(socket.Options);
        using var deadline = new CancellationTokenSource(timeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            if (options.AccessTokenProvider is { } provider)
            {
                await SetAccessTokenAsync(socket, provider, uri, linked.Token).ConfigureAwait(false);
            }

            var tap = await TapConnector.ConnectAsync(socket, uri, linked.Token).ConfigureAwait(false);
            return (socket, tap);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw;
        }
        catch (WebSocketException ex) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            var hint = options.AccessTokenProvider is null ? "no access token was sent (set AccessTokenProvider)" : "check the access token";
            throw new SignalingException(
                SignalingErrorCode.Forbidden,
                $"The signaling server at {uri} refused the connection: HTTP {(int)status} ({status}); {hint}.",
                null,
                ex);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            socket.Dispose();
            var why = ex is OperationCanceledException ? $"no connection within {timeout}" : ex.Message;
            throw new SignalingException(SignalingErrorCode.ConnectionClosed, $"Could not connect to the signaling server at {uri}: {why}", null, ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Asks the provider for a token and puts it in the upgrade request's <c>Authorization</c> header.</summary>
    private static async Task SetAccessTokenAsync(ClientWebSocket socket, Func<CancellationToken, ValueTask<string?>> provider, Uri uri, CancellationToken cancellationToken)
    {
        string? token;
        try
        {
            token = await provider(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new SignalingException(SignalingErrorCode.ConnectionClosed, $"Could not connect to the signaling server at {uri}: the access token provider failed ({ex.Message}).", null, ex);
        }

        if (!string.IsNullOrEmpty(token))
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }
    }

    /// <summary>
    /// Runs the protocol over an already connected WebSocket (e.g. an in-memory one); the channel owns and disposes it.
    /// Such a channel cannot reconnect (it does not know where the socket came from): a drop closes it.
    /// </summary>
    /// <param name="socket">An open WebSocket.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where to log; <see langword="null"/> for none.</param>
    public static WebSocketSignalingChannel FromWebSocket(WebSocket socket, WebSocketSignalingChannelOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return new WebSocketSignalingChannel(socket, null, null, (options ?? new WebSocketSignalingChannelOptions()).Validated(), logger);
    }

    /// <inheritdoc />
    /// <remarks>With <see cref="WebSocketSignalingChannelOptions.Reconnect"/> on, it then fetches a resume token
    /// (<c>get_resume_token</c>; a server without the extension just means the channel will not reconnect).</remarks>
    public async Task<string> InitAsync(CancellationToken cancellationToken = default)
    {
        var id = NextId();
        var userId = await CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.Init), SignalingMethods.Init, ResultDecoders.String, cancellationToken)
            .ConfigureAwait(false);
        _userId = userId;
        if (_options.Reconnect && _uri is not null && _resumeToken is null)
        {
            await RefreshResumeTokenAsync(cancellationToken).ConfigureAwait(false);
        }

        return userId;
    }

    /// <inheritdoc />
    public async Task<string> CreateGroupAsync(int? capability, CancellationToken cancellationToken = default)
    {
        var id = NextId();
        var frame = capability is { } c
            ? JsonRpcWriter.Request(id, SignalingMethods.Create, c)
            : JsonRpcWriter.Request(id, SignalingMethods.Create);
        var groupId = await CallAsync(id, frame, SignalingMethods.Create, ResultDecoders.String, cancellationToken).ConfigureAwait(false);
        TrackCreated(groupId, capability);
        return groupId;
    }

    /// <inheritdoc />
    public async Task JoinGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        var id = NextId();
        await CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.Join, groupId), SignalingMethods.Join, ResultDecoders.Ignore, cancellationToken).ConfigureAwait(false);
        TrackJoined(groupId);
    }

    /// <inheritdoc />
    public async Task LeaveGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        var id = NextId();
        try
        {
            await CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.Leave, groupId), SignalingMethods.Leave, ResultDecoders.Ignore, cancellationToken).ConfigureAwait(false);
        }
        catch (SignalingException ex) when (ex.Code is SignalingErrorCode.GroupNotFound or SignalingErrorCode.NotMember)
        {
            TrackLeft(groupId);
            throw;
        }

        TrackLeft(groupId);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetMembersAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        var id = NextId();
        return CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.GetMembers, groupId), SignalingMethods.GetMembers, ResultDecoders.StringList, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<GroupInfo> GetGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        var id = NextId();
        var group = await CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.GetGroup, groupId), SignalingMethods.GetGroup, ResultDecoders.Group, cancellationToken)
            .ConfigureAwait(false);
        TrackDescribed(group);
        return group;
    }

    /// <inheritdoc />
    public Task<JsonElement> RelayAsync(string groupId, string toUserId, JsonElement data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        ArgumentNullException.ThrowIfNull(toUserId);
        var id = NextId();
        return CallAsync(id, JsonRpcWriter.RelayRequest(id, groupId, toUserId, data), SignalingMethods.Relay, ResultDecoders.Element, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<IceServerPayload>> GetIceServersAsync(CancellationToken cancellationToken = default)
    {
        var id = NextId();
        return CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.GetIceServers), SignalingMethods.GetIceServers, ResultDecoders.IceServers, cancellationToken);
    }

    /// <summary>
    /// Closes the channel: reconnecting stops at once, pending calls fail with <see cref="SignalingErrorCode.ConnectionClosed"/>,
    /// queued messages are sent, the WebSocket closing handshake runs (bounded by
    /// <see cref="WebSocketSignalingChannelOptions.CloseTimeout"/>), then all background work stops.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _reconnectStop.CancelAsync().ConfigureAwait(false);
        Shutdown("the channel was disposed", null);
        var link = _link;
        using (var timeout = new CancellationTokenSource(_options.CloseTimeout, _time))
        {
            try
            {
                await link.Sender.CompleteAsync().WaitAsync(timeout.Token).ConfigureAwait(false);
                if (link.Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await link.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "disposed", timeout.Token).ConfigureAwait(false);
                }

                await link.ReceiveLoop.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // The server did not complete the handshake in time: abort below.
            }
        }

        if (_timeoutTimer is not null)
        {
            await _timeoutTimer.DisposeAsync().ConfigureAwait(false);
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _reconnectLoop.ConfigureAwait(false);
        link = _link;
        link.Socket.Abort();
        await link.ReceiveLoop.ConfigureAwait(false);
        link.Socket.Dispose();
        _lifetime.Dispose();
        _reconnectStop.Dispose();
    }

    private long NextId() => Interlocked.Increment(ref _nextId);

    private Task<T> CallAsync<T>(long id, OutgoingFrame frame, string method, ResultDecoder<T> decoder, CancellationToken cancellationToken) =>
        CallAsync(id, frame, method, decoder, duringReconnect: false, cancellationToken);

    /// <summary>Sends a request on the current link and waits for its answer. <paramref name="duringReconnect"/>: the channel's own calls (<c>resume</c>) that run while reconnecting.</summary>
    private Task<T> CallAsync<T>(long id, OutgoingFrame frame, string method, ResultDecoder<T> decoder, bool duringReconnect, CancellationToken cancellationToken)
    {
        PendingCall<T> call;
        try
        {
            call = StartCall(id, frame, method, decoder, duringReconnect);
        }
        catch (SignalingException ex)
        {
            return Task.FromException<T>(ex);
        }

        // The common case: no per-call timer, registration or state machine; the timeout sweep fails the call, and
        // the call's task runs its continuations asynchronously (never on the receive loop).
        return cancellationToken.CanBeCanceled ? WaitAsync(call.Task, id, cancellationToken) : call.Task;
    }

    private async Task<T> WaitAsync<T>(Task<T> call, long id, CancellationToken cancellationToken)
    {
        try
        {
            return await call.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _pending.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>Registers the call and queues its request; throws (the frame released) when the channel cannot take it.</summary>
    private PendingCall<T> StartCall<T>(long id, OutgoingFrame frame, string method, ResultDecoder<T> decoder, bool duringReconnect)
    {
        if (!MayCall(duringReconnect))
        {
            frame.Release();
            throw StateException();
        }

        var link = _link;
        var deadline = _timeoutTimer is null ? long.MaxValue : _time.GetTimestamp() + _requestTimeout;
        var call = new PendingCall<T>(method, decoder, deadline);
        _pending[id] = call;

        // Dropping or closing changes the state before draining the pending calls: re-checking after adding
        // means a call is either drained or sees the new state here, never left waiting.
        if (!MayCall(duringReconnect))
        {
            _pending.TryRemove(id, out _);
            frame.Release();
            throw StateException();
        }

        if (!link.Sender.TryEnqueue(frame))
        {
            _pending.TryRemove(id, out _);
            throw IsClosed || !CanReconnect ? ClosedException() : ReconnectingException();
        }

        return call;
    }

    private bool MayCall(bool duringReconnect)
    {
        var state = Volatile.Read(ref _state);
        return state == Connected || (duringReconnect && state == ReconnectingState);
    }

    private SignalingException StateException() => IsClosed ? ClosedException() : ReconnectingException();

    /// <summary>Fails calls whose answer is overdue (runs every RequestTimeout / 8, at most every second).</summary>
    private void ExpireCalls()
    {
        var now = _time.GetTimestamp();
        foreach (var entry in _pending)
        {
            if (entry.Value.Deadline <= now && _pending.TryRemove(entry.Key, out var call))
            {
                call.Fail(new SignalingException(SignalingErrorCode.RequestTimeout, $"No answer to '{call.Method}' within {_options.RequestTimeout}."));
            }
        }
    }

    private SignalingException ClosedException() =>
        new(SignalingErrorCode.ConnectionClosed, $"The signaling connection is closed: {Volatile.Read(ref _closeReason)}.");

    private SignalingException ReconnectingException() =>
        new(SignalingErrorCode.Reconnecting, $"The signaling connection dropped and is reconnecting: {Volatile.Read(ref _dropReason)}.");

    private SocketLink StartLink(WebSocket socket, ConnectionTap? tap)
    {
        var link = new SocketLink(socket, tap, OnSendFailed);
        link.ReceiveLoop = Task.Run(() => ReceiveLoopAsync(link));
        return link;
    }

    private void OnSendFailed(SocketLink link, Exception exception)
    {
        // Aborting ends the link's receive loop, which decides between reconnecting and closing.
        Log.SendFailed(_logger, exception);
        link.Socket.Abort();
    }

    private async Task ReceiveLoopAsync(SocketLink link)
    {
        var reason = "the server closed the connection";
        Exception? error = null;
        var resumable = true;
        var socket = link.Socket;
        using (var reader = new WebSocketMessageReader(_options.MaxMessageSize))
        {
            var sender = link.Sender;
            var burst = 0;
            try
            {
                while (true)
                {
                    // Answers to messages that arrived together leave together: the sender holds them until the
                    // next message is not there yet (or after a burst of MaxCorkedMessages).
                    var receive = reader.ReceiveAsync(socket, _lifetime.Token);
                    if (!receive.IsCompleted || ++burst >= MaxCorkedMessages)
                    {
                        sender.Uncork();
                        burst = 0;
                    }

                    var (kind, length) = await receive.ConfigureAwait(false);
                    sender.Cork();
                    if (kind == ReceivedMessageKind.Close)
                    {
                        var description = socket.CloseStatusDescription;
                        reason = $"the server closed the connection ({socket.CloseStatus}{(string.IsNullOrEmpty(description) ? "" : ": " + description)})";
                        resumable = socket.CloseStatus is WebSocketCloseStatus.EndpointUnavailable or WebSocketCloseStatus.InternalServerError or (WebSocketCloseStatus)1012;
                        break;
                    }

                    if (kind == ReceivedMessageKind.TooLarge)
                    {
                        OnMessageTooLarge(link, reader.Buffer.AsSpan(0, length));
                    }
                    else if (kind == ReceivedMessageKind.Binary)
                    {
                        Log.MalformedMessage(_logger, "a binary message");
                    }
                    else
                    {
                        OnMessage(link, reader.Buffer.AsSpan(0, length));
                    }

                    reader.Trim();
                }
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                reason = "the channel was disposed";
                resumable = false;
            }
            catch (Exception ex)
            {
                error = ex;
                reason = $"the connection failed: {ex.Message}";
            }
            finally
            {
                sender.Uncork();
            }
        }

        OnLinkEnded(link, reason, error, resumable);
        if (socket.State == WebSocketState.CloseReceived)
        {
            // Complete the server's closing handshake once our queued messages are out.
            using var timeout = new CancellationTokenSource(_options.CloseTimeout, _time);
            try
            {
                await link.Sender.CompleteAsync().WaitAsync(timeout.Token).ConfigureAwait(false);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // Best effort.
            }
        }

        link.MarkEnded();
        if (IsClosed && link == _link)
        {
            try
            {
                await _lifetime.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently.
            }
        }
    }

    /// <summary>A link's receive loop ended: reconnect (if the drop is resumable and the channel can), or close.</summary>
    private void OnLinkEnded(SocketLink link, string reason, Exception? error, bool resumable)
    {
        if (link != _link)
        {
            return; // a link already replaced
        }

        _ = link.Sender.CompleteAsync();
        switch (Volatile.Read(ref _state))
        {
            case ReconnectingState:
                // A reconnection attempt's link died: its resume call fails and the loop tries again.
                FailPending(SignalingErrorCode.Reconnecting, reason, error);
                return;
            case Connected when resumable && CanReconnect:
                BeginReconnect(reason, error);
                return;
            default:
                Shutdown(reason, error);
                return;
        }
    }

    /// <summary>Marks the channel closed, fails every pending call and raises <see cref="Closed"/> (once).</summary>
    private void Shutdown(string reason, Exception? error)
    {
        Volatile.Write(ref _closeReason, reason);
        if (Interlocked.Exchange(ref _state, ClosedState) == ClosedState)
        {
            return;
        }

        _reconnectStop.Cancel();
        _ = _link.Sender.CompleteAsync();
        FailPending(SignalingErrorCode.ConnectionClosed, reason, error);
        Log.Closed(_logger, reason, error);
        try
        {
            Closed?.Invoke(this, new SignalingClosedEventArgs(reason, error));
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed(_logger, nameof(Closed), ex);
        }
    }

    private void FailPending(SignalingErrorCode code, string reason, Exception? error)
    {
        var what = code == SignalingErrorCode.Reconnecting ? "dropped (reconnecting)" : "closed";
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var call))
            {
                call.Fail(new SignalingException(code, $"The signaling connection {what} before '{call.Method}' was answered: {reason}.", null, error));
            }
        }
    }

    private void OnMessage(SocketLink link, ReadOnlySpan<byte> message)
    {
        var status = JsonRpcFrame.TryParse(message, out var frame);
        if (status != JsonRpcParseStatus.Ok)
        {
            Log.MalformedMessage(_logger, status == JsonRpcParseStatus.ParseError ? "not valid JSON" : frame.Problem ?? "invalid");
            return;
        }

        switch (frame.Kind)
        {
            case JsonRpcKind.Response:
                OnResponse(message, ref frame);
                break;
            case JsonRpcKind.Request:
            case JsonRpcKind.Notification:
                OnRequest(link, message, ref frame);
                break;
        }
    }

    private void OnResponse(ReadOnlySpan<byte> message, ref JsonRpcFrame frame)
    {
        if (!frame.Id.TryGetInt64(out var id) || !_pending.TryRemove(id, out var call))
        {
            Log.UnmatchedResponse(_logger, frame.Id.ToString());
            return;
        }

        if (frame.Result.IsPresent)
        {
            call.Complete(frame.Result.Of(message));
            return;
        }

        SignalingError? error = null;
        try
        {
            error = JsonSerializer.Deserialize(frame.Error.Of(message), SignalingJsonContext.Default.SignalingError);
        }
        catch (JsonException)
        {
            // Reported below.
        }

        call.Fail(error is { Message: not null }
            ? SignalingException.FromError(error)
            : new SignalingException(SignalingErrorCode.InvalidResponse, $"The server answered '{call.Method}' with a malformed error object."));
    }

    private void OnRequest(SocketLink link, ReadOnlySpan<byte> message, ref JsonRpcFrame frame)
    {
        switch (frame.Method)
        {
            case JsonRpcMethod.Relay:
                OnRelay(link, message, ref frame);
                break;
            case JsonRpcMethod.MemberJoined:
            case JsonRpcMethod.MemberLeft:
                var groupId = frame.Param0.GetString(message);
                var userId = frame.Param1.GetString(message);
                if (frame.ParamCount != 2 || groupId is null || userId is null)
                {
                    Log.MalformedMessage(_logger, "a membership notification without [groupId, userId]");
                    return;
                }

                var joined = frame.Method == JsonRpcMethod.MemberJoined;
                try
                {
                    (joined ? MemberJoined : MemberLeft)?.Invoke(this, new SignalingMemberEventArgs(groupId, userId));
                }
                catch (Exception ex)
                {
                    Log.EventHandlerFailed(_logger, joined ? nameof(MemberJoined) : nameof(MemberLeft), ex);
                }

                break;
            default:
                var name = frame.MethodName.GetString(message) ?? "";
                Log.IgnoredMethod(_logger, name);
                if (frame.Kind == JsonRpcKind.Request)
                {
                    link.Sender.TryEnqueue(JsonRpcWriter.Error(frame.Id, (int)SignalingErrorCode.MethodNotFound, $"Method '{name}' not found."));
                }

                break;
        }
    }

    private void OnRelay(SocketLink link, ReadOnlySpan<byte> message, ref JsonRpcFrame frame)
    {
        var groupId = frame.Param0.GetString(message);
        var fromUserId = frame.Param1.GetString(message);
        if (frame.Params.Type != JsonTokenType.StartArray || frame.ParamCount != 3 || groupId is null || fromUserId is null)
        {
            Log.MalformedMessage(_logger, "a relay without [groupId, fromUserId, data]");
            if (frame.Kind == JsonRpcKind.Request)
            {
                link.Sender.TryEnqueue(JsonRpcWriter.Error(frame.Id, (int)SignalingErrorCode.InvalidParams, "relay expects [groupId, fromUserId, data]."));
            }

            return;
        }

        var request = new RelayRequest(groupId, fromUserId, frame.Param2.ToElement(message));
        var handler = RelayHandler;
        if (handler is null)
        {
            if (frame.Kind == JsonRpcKind.Request)
            {
                link.Sender.TryEnqueue(JsonRpcWriter.Error(frame.Id, (int)SignalingErrorCode.NoRelayHandler, "The receiver has no relay handler."));
            }

            return;
        }

        _ = RunRelayHandlerAsync(link, handler, frame.Id, request, _lifetime.Token);
    }

    private async Task RunRelayHandlerAsync(
        SocketLink link,
        Func<RelayRequest, CancellationToken, ValueTask<JsonElement>> handler,
        RequestId id,
        RelayRequest request,
        CancellationToken cancellationToken)
    {
        // Started on the receive loop, in the order the relays arrived (the server forwards one sender's
        // relays in order): the handler's synchronous part runs in that order, e.g. a trickled candidate
        // is queued before the end-of-candidates that follows it. At its first await the loop moves on,
        // so handlers then run concurrently with each other and with further messages.
        OutgoingFrame answer;
        try
        {
            var result = await handler(request, cancellationToken).ConfigureAwait(false);
            if (!id.IsPresent)
            {
                return;
            }

            answer = JsonRpcWriter.Result(id, result);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // closing: nobody is listening for the answer
        }
        catch (SignalingException ex)
        {
            answer = JsonRpcWriter.Error(id, (int)ex.Code, ex.Message, ex.ErrorData);
        }
        catch (Exception ex)
        {
            Log.RelayHandlerFailed(_logger, request.FromUserId, request.GroupId, ex);
            answer = JsonRpcWriter.Error(id, (int)SignalingErrorCode.RelayHandlerFailed, "The receiver's relay handler failed.");
        }

        if (id.IsPresent)
        {
            // On the link the relay came on: after a reconnection the server would not know its id.
            link.Sender.TryEnqueue(answer);
        }
        else
        {
            answer.Release();
        }
    }

    private void OnMessageTooLarge(SocketLink link, ReadOnlySpan<byte> prefix)
    {
        Log.MessageTooLarge(_logger, _options.MaxMessageSize);
        var (id, isRequest, isResponse) = JsonRpcFrame.ScanPrefix(prefix);
        if (isResponse && id.TryGetInt64(out var callId) && _pending.TryRemove(callId, out var call))
        {
            call.Fail(new SignalingException(
                SignalingErrorCode.MessageTooLarge,
                $"The answer to '{call.Method}' exceeded the client's limit of {_options.MaxMessageSize} bytes."));
        }
        else if (isRequest && id.IsPresent)
        {
            link.Sender.TryEnqueue(JsonRpcWriter.Error(id, (int)SignalingErrorCode.MessageTooLarge, $"The message exceeded the receiver's limit of {_options.MaxMessageSize} bytes."));
        }
    }
}
