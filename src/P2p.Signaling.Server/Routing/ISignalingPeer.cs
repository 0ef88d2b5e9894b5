using P2p.Signaling.Abstractions;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server.Routing;

/// <summary>
/// A connected, initialised user that relays and notifications can be delivered to. Today every peer
/// is a local WebSocket connection; a distributed deployment adds peers that stand for users
/// connected to other server instances (delivering through a backplane such as Redis).
/// </summary>
internal interface ISignalingPeer
{
    /// <summary>The user's id.</summary>
    string UserId { get; }

    /// <summary>
    /// Forwards a relay from <paramref name="caller"/> to this peer as <c>relay [groupId, caller.UserId, data]</c>.
    /// When <paramref name="callerRequestId"/> is present the peer tracks the relay and later calls
    /// exactly one of <see cref="CompleteRelay"/> / <see cref="FailRelay"/> on the caller.
    /// </summary>
    /// <returns><see langword="false"/> when this peer is gone (nothing was tracked).</returns>
    bool TryForwardRelay(ISignalingPeer caller, in RequestId callerRequestId, string groupId, ReadOnlySpan<byte> data);

    /// <summary>Delivers the target's answer (a raw, validated <c>result</c> or <c>error</c> value) to this peer, the relay's sender.</summary>
    void CompleteRelay(in RequestId requestId, bool isError, ReadOnlySpan<byte> rawAnswer);

    /// <summary>Fails a relay this peer sent (target gone, timeout, answer too large...).</summary>
    void FailRelay(in RequestId requestId, SignalingErrorCode code, string message);

    /// <summary>Delivers a notification frame (shared by all its receivers: not pooled).</summary>
    void Notify(byte[] frame);
}
