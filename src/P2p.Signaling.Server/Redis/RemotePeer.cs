using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// A user not connected to this instance: relays and notifications to it are published to its channel, which the
/// instance holding its connection subscribes. A relay nobody receives fails with <c>-32004</c>; its answer comes back
/// on this instance's channel.
/// </summary>
internal sealed class RemotePeer(RedisBackplane backplane, string userId) : ISignalingPeer
{
    /// <inheritdoc />
    public string UserId => userId;

    /// <inheritdoc />
    public bool TryForwardRelay(ISignalingPeer caller, in RequestId callerRequestId, string groupId, ReadOnlySpan<byte> data)
    {
        backplane.CheckAndPublishRelay(caller, callerRequestId, groupId, userId, data);
        return true;
    }

    /// <inheritdoc />
    public void Notify(byte[] frame) => backplane.PublishNotification(userId, frame);

    /// <inheritdoc />
    /// <remarks>Never called: a remote peer sends no relays through this instance.</remarks>
    public void CompleteRelay(in RequestId requestId, bool isError, ReadOnlySpan<byte> rawAnswer)
    {
    }

    /// <inheritdoc />
    /// <remarks>Never called: a remote peer sends no relays through this instance.</remarks>
    public void FailRelay(in RequestId requestId, SignalingErrorCode code, string message)
    {
    }
}
