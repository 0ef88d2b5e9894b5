using System.Net.WebSockets;
using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.WebSockets;

/// <summary>Riding out outages: on an unexpected drop, reconnect with back-off and <c>resume</c> the session.</summary>
public sealed partial class WebSocketSignalingChannel
{
    private volatile string? _resumeToken;
    private string _dropReason = "";

    /// <summary>Whether a drop can be ridden out: enabled, a known endpoint, initialised, a token, not disposed.</summary>
    private bool CanReconnect =>
        _options.Reconnect && _uri is not null && _userId is not null && _resumeToken is not null && Volatile.Read(ref _disposed) == 0;

    /// <summary>Fetches a fresh resume token (<c>get_resume_token</c>). A server without the extension leaves the channel without one.</summary>
    private async Task RefreshResumeTokenAsync(CancellationToken cancellationToken)
    {
        var id = NextId();
        try
        {
            var result = await CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.GetResumeToken), SignalingMethods.GetResumeToken, ResultDecoders.ResumeToken, duringReconnect: false, cancellationToken)
                .ConfigureAwait(false);
            _resumeToken = result.Token;
        }
        catch (SignalingException ex) when (ex.Code is SignalingErrorCode.MethodNotFound or SignalingErrorCode.InvalidResponse)
        {
            // A server without the extension (or with resuming disabled): drops will close the channel.
            _resumeToken = null;
            Log.NoResumeToken(_logger, ex.Message);
        }
        catch (SignalingException ex)
        {
            // Dropped meanwhile or timed out: keep the previous token, if any (tokens stay valid).
            Log.NoResumeToken(_logger, ex.Message);
        }
    }

    /// <summary>Connected → reconnecting: pending calls fail, <see cref="Reconnecting"/> is raised, the loop starts.</summary>
    private void BeginReconnect(string reason, Exception? error)
    {
        Volatile.Write(ref _dropReason, reason);
        if (Interlocked.CompareExchange(ref _state, ReconnectingState, Connected) != Connected)
        {
            return;
        }

        FailPending(SignalingErrorCode.Reconnecting, reason, error);
        Log.Reconnecting(_logger, reason, _userId, _options.ReconnectTimeout, error);
        try
        {
            Reconnecting?.Invoke(this, new SignalingReconnectingEventArgs(reason, error));
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed(_logger, nameof(Reconnecting), ex);
        }

        _reconnectLoop = Task.Run(() => ReconnectLoopAsync(reason));
    }

    private async Task ReconnectLoopAsync(string reason)
    {
        var stop = _reconnectStop.Token;
        var started = _time.GetTimestamp();
        var delay = TimeSpan.Zero;
        var lastProblem = reason;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (delay > TimeSpan.Zero)
                {
                    var jittered = TimeSpan.FromTicks((long)(delay.Ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
                    var left = _options.ReconnectTimeout - _time.GetElapsedTime(started);
                    await Task.Delay(jittered < left ? jittered : (left > TimeSpan.Zero ? left : TimeSpan.Zero), _time, stop).ConfigureAwait(false);
                }

                var remaining = _options.ReconnectTimeout - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    AbortLink();
                    Shutdown($"could not resume the signaling session within {_options.ReconnectTimeout} ({lastProblem})", null);
                    CancelLifetime();
                    return;
                }

                Log.ReconnectAttempt(_logger, attempt, _uri!);
                if (await TryResumeAsync(remaining, stop).ConfigureAwait(false) is { } groups)
                {
                    if (Interlocked.CompareExchange(ref _state, Connected, ReconnectingState) != ReconnectingState)
                    {
                        return; // disposed meanwhile
                    }

                    Log.Resumed(_logger, _userId, _time.GetElapsedTime(started), attempt, groups);
                    try
                    {
                        Reconnected?.Invoke(this, EventArgs.Empty);
                    }
                    catch (Exception ex)
                    {
                        Log.EventHandlerFailed(_logger, nameof(Reconnected), ex);
                    }

                    _ = RefreshResumeTokenAsync(CancellationToken.None);
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // disposed or closed
            }
            catch (SignalingException ex) when (ex.Code is SignalingErrorCode.ConnectionClosed or SignalingErrorCode.Reconnecting or SignalingErrorCode.RequestTimeout)
            {
                lastProblem = ex.Message;
                Log.ReconnectAttemptFailed(_logger, attempt, ex.Message);
            }
            catch (SignalingException ex) when (ex.Code is SignalingErrorCode.Forbidden)
            {
                // The server refused the upgrade (HTTP 401/403): another attempt would be refused too.
                AbortLink();
                Shutdown($"the server refused the connection: {ex.Message}", ex);
                CancelLifetime();
                return;
            }
            catch (SignalingException ex)
            {
                // The server answered: it will not resume this session (-32009, or no such method).
                AbortLink();
                Shutdown($"resume refused: {ex.Message}", ex);
                CancelLifetime();
                return;
            }

            delay = delay == TimeSpan.Zero ? _options.ReconnectInitialDelay : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
        }
    }

    /// <summary>One attempt: a new socket, then <c>resume</c>. Returns how many groups were kept; throws when the attempt failed.</summary>
    private async Task<int?> TryResumeAsync(TimeSpan remaining, CancellationToken stop)
    {
        var connectTimeout = remaining < _options.ConnectTimeout ? remaining : _options.ConnectTimeout;
        var (socket, tap) = await OpenSocketAsync(_uri!, _options, connectTimeout, stop).ConfigureAwait(false);
        var previous = _link;
        try
        {
            // After a server close (1001...), let the old link finish answering it.
            await previous.Ended.WaitAsync(TimeSpan.FromMilliseconds(500), _time, stop).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Abort it below.
        }

        _link = StartLink(socket, tap);
        previous.Socket.Abort();
        if (IsClosed)
        {
            AbortLink();
            return null;
        }

        using var deadline = new CancellationTokenSource(remaining, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, deadline.Token);
        var id = NextId();
        ResumeResult result;
        try
        {
            result = await CallAsync(id, JsonRpcWriter.Request(id, SignalingMethods.Resume, _resumeToken!, TrackedGroupsJson()), SignalingMethods.Resume, ResultDecoders.Resume, duringReconnect: true, linked.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            AbortLink();
            throw new SignalingException(SignalingErrorCode.RequestTimeout, "No answer to 'resume' before the reconnect timeout.");
        }
        catch (SignalingException ex) when (ex.Code is SignalingErrorCode.RequestTimeout)
        {
            AbortLink();
            throw;
        }

        if (result.Id != _userId)
        {
            throw new SignalingException(SignalingErrorCode.InvalidResponse, $"The server resumed another user id ({result.Id}).");
        }

        TrackResumed(result.Groups);
        return result.Groups.Count;
    }

    /// <summary>After giving up: relay handlers still running see their token cancelled, as on any close.</summary>
    private void CancelLifetime()
    {
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently.
        }
    }

    private void AbortLink()
    {
        try
        {
            _link.Socket.Abort();
        }
        catch (ObjectDisposedException)
        {
            // Gone already.
        }
    }
}
