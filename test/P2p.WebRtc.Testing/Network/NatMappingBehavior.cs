namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// How a NAT reuses the external address and port it allocated for an internal endpoint (RFC 4787 §4.1).
/// </summary>
public enum NatMappingBehavior
{
    /// <summary>
    /// Endpoint-independent mapping: the same external port for every destination of one internal endpoint
    /// (RFC 4787 REQ-1). A STUN server sees the port every peer sees.
    /// </summary>
    EndpointIndependent,

    /// <summary>Address-dependent mapping: one external port per destination address.</summary>
    AddressDependent,

    /// <summary>
    /// Address-and-port-dependent mapping: one external port per destination address and port (a "symmetric" NAT):
    /// the port a STUN server reports is of no use to any other peer.
    /// </summary>
    AddressAndPortDependent,
}
