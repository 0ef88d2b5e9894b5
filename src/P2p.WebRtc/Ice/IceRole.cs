namespace P2p.WebRtc.Ice;

/// <summary>The ICE agent roles (RFC 8445 §6.1.1). The offerer of a full-ICE session is normally controlling.</summary>
public enum IceRole
{
    /// <summary>The controlling agent nominates the candidate pair (RFC 8445 §8.1).</summary>
    Controlling,

    /// <summary>The controlled agent selects the pair the controlling agent nominated.</summary>
    Controlled,
}
