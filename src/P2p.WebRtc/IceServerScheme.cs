namespace P2p.WebRtc;

/// <summary>The scheme of an ICE server URL (RFC 7064, RFC 7065).</summary>
public enum IceServerScheme
{
    /// <summary><c>stun:</c>: a STUN server over UDP, for server-reflexive candidates.</summary>
    Stun,

    /// <summary><c>stuns:</c>: STUN over TLS; parsed, but P2p gathers server-reflexive candidates over UDP only, so it is skipped.</summary>
    Stuns,

    /// <summary><c>turn:</c>: a TURN server over UDP (default) or TCP (<c>?transport=tcp</c>), for relayed candidates.</summary>
    Turn,

    /// <summary><c>turns:</c>: a TURN server over TLS (over TCP).</summary>
    Turns,
}
