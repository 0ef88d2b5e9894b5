namespace P2p.Core.Routing;

/// <summary>The type of a route frame (byte 1; docs/protocol.md, "Relayed members (extension)").</summary>
internal enum RouteFrameType : byte
{
    /// <summary>A fragment of a relayed message.</summary>
    Data = 1,

    /// <summary>The destination confirms a whole relayed message.</summary>
    Ack = 2,

    /// <summary>Looks for a route (sent through every candidate relay).</summary>
    Probe = 3,

    /// <summary>The destination's answer to a probe.</summary>
    ProbeReply = 4,

    /// <summary>A relay cannot reach the destination, or the destination refuses.</summary>
    Unreachable = 5,
}
