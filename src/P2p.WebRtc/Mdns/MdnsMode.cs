namespace P2p.WebRtc.Mdns;

/// <summary>What an ICE agent does with mDNS host names (draft-ietf-mmusic-mdns-ice-candidates).</summary>
public enum MdnsMode
{
    /// <summary>Remote candidates with a host name are ignored; local host candidates carry their IP address.</summary>
    Disabled,

    /// <summary>The default: remote <c>&lt;name&gt;.local</c> host candidates are resolved with one-shot mDNS queries; local host candidates carry their IP address.</summary>
    Resolve,

    /// <summary>
    /// As <see cref="Resolve"/>, and every local host candidate is signalled under a random <c>&lt;uuid&gt;.local</c> name
    /// (answered by the agent's own mDNS responder) instead of its address, the way browsers hide their addresses;
    /// server-reflexive candidates then carry <c>raddr 0.0.0.0 rport 0</c>.
    /// </summary>
    ResolveAndPublish,
}
