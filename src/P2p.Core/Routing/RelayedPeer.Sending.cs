using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using P2p.Core.Framing;
using P2p.Core.Messaging;
using P2p.Core.Diagnostics;

namespace P2p.Core.Routing;

/// <summary>Sending through the route: one message at a time, fragments as Data frames, done when acknowledged.</summary>
internal sealed partial class RelayedPeer
{
    /// <summary>True while a route is known or being looked for (a send would not fail at once).</summary>
    public bool IsReachable
    {
        get
        {
            lock (_gate)
            {
                return _closed is null && (_relay is not null || _looking);
            }
        }
    }

    /// <summary>Completes at the next change of the route (or of the search for one).</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>Sends a request through the route and waits for its reply or error.</summary>
    public async Task<ReadOnlyMemory<byte>> RequestAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var id = NextMessageId();
        var reply = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[id] = reply;
        try
        {
            await SendAsync(FrameKind.Request, id, data, cancellationToken).ConfigureAwait(false);
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _requests.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Sends one message through the route and waits until the member acknowledges it; when the route breaks first, sends
    /// it again (same seq) through the next. Fails when no route is left, after the request timeout, or when refused.
    /// </summary>
    public async Task SendAsync(FrameKind kind, uint messageId, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var seq = (uint)Interlocked.Increment(ref _nextSeq);
        var signature = Group.Options.Identity?.Key is { } key
            ? RouteSignatures.SignData(key, Group.Id, Group.LocalId, Member.Id, seq, kind, messageId, message.Span)
            : [];
        var acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ThrowIfClosedLocked();
            _unacked[seq] = acked;
        }

        var timeout = Group.Options.RequestTimeout;
        var again = false;
        using var deadline = new CancellationTokenSource(timeout, Group.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, _lifetime.Token);
        try
        {
            while (true)
            {
                var (relay, link, version) = await WaitForRouteAsync(linked.Token).ConfigureAwait(false);
                if (again)
                {
                    CoreMetrics.Resent();
                }

                again = true;
                try
                {
                    // Bounded by the relay's link too: a send that waits on a link going away ends with it.
                    using var viaRelay = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, link.Lifetime);
                    await SendFramesAsync(link, seq, kind, messageId, message, signature, viaRelay.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is GroupException or OperationCanceledException && !linked.IsCancellationRequested)
                {
                    OnRelayLost(relay, ex is GroupException ? ex.Message : "its link ended while sending");
                    continue;
                }

                if (await WaitForAckAsync(acked.Task, version, linked.Token).ConfigureAwait(false))
                {
                    await acked.Task.ConfigureAwait(false); // throws when refused
                    CoreMetrics.MessageSent(kind, relayed: true, message.Length);
                    return;
                }

                Logger.LogDebug("Sending relayed message {Seq} to member {MemberId} again: the route through {Relay} changed", seq, Member.Id, relay);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new GroupException(GroupErrorCode.Timeout, $"Member {Member.Id} did not acknowledge a relayed message within {timeout}.", null, Member.Id);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _closed is { } closed)
        {
            throw new GroupException(closed.Code, closed.Message, closed, Member.Id);
        }
        finally
        {
            lock (_gate)
            {
                _unacked.Remove(seq);
            }
        }
    }

    /// <summary>Waits for the ack; false when the route changed first (the message must go again).</summary>
    private async Task<bool> WaitForAckAsync(Task acked, long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (acked.IsCompleted)
                {
                    return true;
                }

                if (_routeVersion != version)
                {
                    return false;
                }

                changed = _changed.Task;
            }

            await Task.WhenAny(acked, changed).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The route to send through now: waits while one is being looked for; fails when there is none.</summary>
    private async Task<(string Relay, LinkMessenger Link, long Version)> WaitForRouteAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            string? relay;
            long version;
            lock (_gate)
            {
                ThrowIfClosedLocked();
                relay = _relay;
                version = _routeVersion;
                changed = _changed.Task;
                if (relay is null && !_looking)
                {
                    throw _refusal as GroupException ?? new GroupException(
                        GroupErrorCode.NotConnected,
                        $"Member {Member.Id} is unreachable: no direct connection ({Member.LastError?.Message ?? "it failed"}) and no member relays for it.",
                        Member.LastError,
                        Member.Id);
                }
            }

            if (relay is not null)
            {
                if (Group.GetLink(relay) is { Member.DirectState: PeerState.Connected } relayLink && relayLink.TryGetMessenger() is { } messenger)
                {
                    return (relay, messenger, version);
                }

                OnRelayLost(relay, "its link is not connected");
                continue;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the message's fragments as Data frames through <paramref name="link"/> (the relay), one message at a time.</summary>
    private async Task SendFramesAsync(LinkMessenger link, uint seq, FrameKind kind, uint messageId, ReadOnlyMemory<byte> message, byte[] signature, CancellationToken cancellationToken)
    {
        var room = Math.Min(link.FrameSize, RouteFrame.MaxSize);
        var headerSize = RouteFrame.HeaderSize(Group.LocalId, Member.Id);
        var chunk = room - headerSize - RouteFrame.DataPrefixSize - signature.Length - FrameHeader.Size;
        if (chunk <= 0)
        {
            throw new GroupException(GroupErrorCode.ConnectionLost, $"The relay's frames ({room} bytes) are too small to carry relayed messages.");
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(room);
        try
        {
            var offset = 0;
            bool final;
            do
            {
                var length = Math.Min(chunk, message.Length - offset);
                final = offset + length == message.Length;
                var span = buffer.AsSpan();
                var at = RouteFrame.WriteHeader(span, RouteFrameType.Data, false, Group.LocalId, Member.Id);
                BinaryPrimitives.WriteUInt32BigEndian(span[at..], seq);
                BinaryPrimitives.WriteUInt32BigEndian(span[(at + 4)..], (uint)offset);
                var signatureLength = final ? signature.Length : 0;
                BinaryPrimitives.WriteUInt16BigEndian(span[(at + 8)..], (ushort)signatureLength);
                at += RouteFrame.DataPrefixSize;
                if (final)
                {
                    signature.CopyTo(span[at..]);
                    at += signature.Length;
                }

                new FrameHeader(kind, final, messageId, (uint)message.Length).Write(span[at..]);
                at += FrameHeader.Size;
                message.Span.Slice(offset, length).CopyTo(span[at..]);
                at += length;
                await link.SendFrameAsync(buffer.AsMemory(0, at), cancellationToken).ConfigureAwait(false);
                offset += length;
            }
            while (!final);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _sendLock.Release();
        }
    }

    /// <summary>An ack from this member: the message it names is done (when signed by the member's accepted key, if any).</summary>
    private void OnAck(uint seq, ReadOnlySpan<byte> signature)
    {
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            if (_peerKey is { } key && !RouteSignatures.VerifyAck(key, signature, Group.Id, Member.Id, Group.LocalId, seq))
            {
                Logger.LogWarning("Ignored an ack from member {MemberId} whose signature does not verify (forged by a relay?)", Member.Id);
                return;
            }

            _unacked.TryGetValue(seq, out waiting);
        }

        waiting?.TrySetResult();
    }

    private void ThrowIfClosedLocked()
    {
        if (_closed is { } closed)
        {
            throw new GroupException(closed.Code, closed.Message, closed, Member.Id);
        }
    }
}
