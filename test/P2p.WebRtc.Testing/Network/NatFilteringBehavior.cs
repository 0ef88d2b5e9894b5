namespace P2p.WebRtc.Testing.Network;

/// <summary>
/// Which inbound datagrams a NAT lets through an existing mapping (RFC 4787 §5).
/// </summary>
public enum NatFilteringBehavior
{
    /// <summary>Endpoint-independent filtering: anyone may send to a mapping ("full cone").</summary>
    EndpointIndependent,

    /// <summary>
    /// Address-dependent filtering: only addresses the mapping has sent to, from any port ("restricted cone").
    /// </summary>
    AddressDependent,

    /// <summary>
    /// Address-and-port-dependent filtering: only the exact address and port the mapping has sent to
    /// ("port-restricted cone", and symmetric NATs).
    /// </summary>
    AddressAndPortDependent,
}
