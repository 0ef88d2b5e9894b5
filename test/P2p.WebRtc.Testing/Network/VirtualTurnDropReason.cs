namespace P2p.WebRtc.Testing.Network;

/// <summary>Why a <see cref="VirtualTurnServer"/> dropped a datagram (<see cref="VirtualTurnCounters.Dropped"/>).</summary>
public enum VirtualTurnDropReason
{
    /// <summary>Neither a STUN message nor ChannelData, a STUN message that fails to parse, or one that is not a request nor a Send indication.</summary>
    Malformed,

    /// <summary>A Send indication or ChannelData from a 5-tuple that has no allocation (RFC 8656 §11.2, §12.6).</summary>
    NoAllocation,

    /// <summary>A Send indication without XOR-PEER-ADDRESS or DATA (RFC 8656 §11.2).</summary>
    IncompleteSendIndication,

    /// <summary>ChannelData on a channel number not bound in the allocation, or whose binding expired (RFC 8656 §12.6).</summary>
    UnboundChannel,

    /// <summary>ChannelData whose length field runs past the datagram (RFC 8656 §12.4).</summary>
    TruncatedChannelData,

    /// <summary>A client sent (Send indication or ChannelData) to a peer whose IP address has no live permission (RFC 8656 §11.2, §9).</summary>
    NoPermissionToPeer,

    /// <summary>A peer sent to a relayed address and the allocation has no live permission for its IP address (RFC 8656 §11.3).</summary>
    NoPermissionFromPeer,

    /// <summary>A request the test asked to go unanswered (<see cref="VirtualTurnServer.FailRequest"/> with code 0, or <see cref="VirtualTurnServer.RequestFilter"/>).</summary>
    RequestDroppedOnPurpose,
}
