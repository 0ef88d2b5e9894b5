using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.Server.Routing;

/// <summary>A relay forwarded to a client and waiting for its answer: who sent it and under which request id.</summary>
/// <param name="Caller">The sending client's connection, which gets the answer or the failure.</param>
/// <param name="CallerRequestId">The id of the sender's <c>relay</c> request.</param>
/// <param name="StartedAt">When it was forwarded (a <see cref="TimeProvider.GetTimestamp"/> value; 0: unknown), for <c>p2p.signaling.relay.duration</c>.</param>
internal readonly record struct PendingRelay(ISignalingPeer Caller, RequestId CallerRequestId, long StartedAt = 0);
