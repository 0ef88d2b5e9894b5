namespace P2p.Signaling.Server.IceServers;

/// <summary>
/// A STUN or TURN server handed to every client by <c>get_ice_servers</c> exactly as configured, in the shape of the
/// browser's <c>RTCIceServer</c> (for TURN with time-limited credentials see <see cref="TurnRestOptions"/>).
/// </summary>
/// <example>
/// appsettings.json: <c>"IceServers": [ { "Urls": [ "stun:stun.example.org:3478" ] } ]</c>;
/// command line: <c>--P2pSignaling:IceServers:0:Urls:0 stun:stun.example.org:3478</c>.
/// </example>
public sealed class IceServerOptions
{
    /// <summary>The server's URLs: <c>stun:</c>, <c>stuns:</c>, <c>turn:</c> or <c>turns:</c> (RFC 7064, RFC 7065).</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>The TURN user name (static long-term credentials); required with a <c>turn:</c>/<c>turns:</c> URL.</summary>
    public string? Username { get; set; }

    /// <summary>The TURN password (static long-term credentials); required with a <c>turn:</c>/<c>turns:</c> URL. Never logged.</summary>
    public string? Credential { get; set; }
}
