using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Routing;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server.Redis;

/// <summary>
/// The sender of a relay that arrived from another instance, as the target's connection sees it: the answer (or the
/// failure) goes back to the sender's instance under the relay's correlation number, which is the request id.
/// </summary>
internal sealed class RemoteCaller(RedisBackplane backplane, string instanceId, string userId) : ISignalingPeer
{
    /// <inheritdoc />
    public string UserId => userId;

    /// <inheritdoc />
    public void CompleteRelay(in RequestId requestId, bool isError, ReadOnlySpan<byte> rawAnswer)
    {
        if (requestId.TryGetInt64(out var correlation))
        {
            backplane.PublishAnswer(instanceId, new BackplaneMessage(BackplaneMessageKind.Answer, correlation, IsError: isError, Payload: rawAnswer.ToArray()));
        }
    }

    /// <inheritdoc />
    public void FailRelay(in RequestId requestId, SignalingErrorCode code, string message)
    {
        if (requestId.TryGetInt64(out var correlation))
        {
            backplane.PublishAnswer(instanceId, new BackplaneMessage(BackplaneMessageKind.Failure, correlation, (int)code, Text: message));
        }
    }

    /// <inheritdoc />
    public bool TryForwardRelay(ISignalingPeer caller, in RequestId callerRequestId, string groupId, ReadOnlySpan<byte> data) => false;

    /// <inheritdoc />
    public void Notify(byte[] frame)
    {
    }
}
