namespace P2p.Testing.NatLab;

/// <summary>How a lab router connects its LAN to the public segment (RFC 4787 terms).</summary>
public enum NatType
{
    /// <summary>Plain routing, no NAT and no firewall: the LAN's addresses are reachable from the public segment.</summary>
    None,

    /// <summary>
    /// Endpoint-independent mapping (iptables <c>MASQUERADE</c>, port-preserving) with a WAN-side firewall that drops
    /// unsolicited inbound packets (<c>-m conntrack --ctstate NEW -j DROP</c>): a "port-restricted cone". STUN suffices.
    /// </summary>
    EndpointIndependent,

    /// <summary>
    /// Address-and-port-dependent mapping ("symmetric": <c>MASQUERADE --random-fully</c>, a new random port per
    /// destination) and the same WAN firewall. Two of these need a TURN relay.
    /// </summary>
    AddressAndPortDependent,

    /// <summary>An endpoint-independent NAT that forwards no UDP at all, only TCP: TURN over TCP or TLS is the only way out.</summary>
    UdpBlocked,
}
