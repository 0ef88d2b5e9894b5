using P2p.WebRtc.Turn;

namespace P2p.WebRtc;

/// <summary>
/// A STUN or TURN server, shaped like the browser's <c>RTCIceServer</c>: one or more URLs
/// (<c>stun:</c>, <c>turn:</c>, <c>turns:</c>, see <see cref="IceServerUrl"/>) and, for TURN, the long-term
/// credentials. No server is ever used unless configured: P2p has no public default.
/// </summary>
/// <example><code>
/// new RtcIceServer("stun:198.51.100.1:3478");
/// new RtcIceServer(["turn:turn.example.org?transport=udp", "turns:turn.example.org"], "alice", "secret");
/// </code></example>
public sealed record RtcIceServer
{
    /// <summary>A server with one URL.</summary>
    /// <param name="url">The URL, e.g. <c>stun:127.0.0.1:3478</c> or <c>turn:198.51.100.1?transport=tcp</c>.</param>
    /// <param name="username">The TURN user name; required for <c>turn:</c>/<c>turns:</c>.</param>
    /// <param name="credential">The TURN password; required for <c>turn:</c>/<c>turns:</c>.</param>
    public RtcIceServer(string url, string? username = null, string? credential = null)
        : this([url], username, credential)
    {
    }

    /// <summary>A server with several URLs sharing one set of credentials (e.g. the same TURN server over UDP, TCP and TLS).</summary>
    /// <param name="urls">The URLs.</param>
    /// <param name="username">The TURN user name; required when any URL is <c>turn:</c>/<c>turns:</c>.</param>
    /// <param name="credential">The TURN password; required when any URL is <c>turn:</c>/<c>turns:</c>.</param>
    public RtcIceServer(IReadOnlyList<string> urls, string? username = null, string? credential = null)
    {
        ArgumentNullException.ThrowIfNull(urls);
        Urls = urls;
        Username = username;
        Credential = credential;
    }

    /// <summary>The URLs.</summary>
    public IReadOnlyList<string> Urls { get; init; }

    /// <summary>The TURN user name (with TURN REST credentials: <c>EXPIRY:USER</c>).</summary>
    public string? Username { get; init; }

    /// <summary>The TURN password.</summary>
    public string? Credential { get; init; }

    /// <summary>Parses and checks every URL; TURN URLs need <see cref="Username"/> and <see cref="Credential"/>.</summary>
    /// <returns>The parsed URLs.</returns>
    /// <exception cref="FormatException">A URL is malformed, or there is none.</exception>
    /// <exception cref="ArgumentException">A TURN URL without a user name or credential.</exception>
    public IReadOnlyList<IceServerUrl> ParseUrls()
    {
        if (Urls is null || Urls.Count == 0)
        {
            throw new FormatException("An ICE server needs at least one URL.");
        }

        var parsed = new IceServerUrl[Urls.Count];
        for (var i = 0; i < parsed.Length; i++)
        {
            parsed[i] = IceServerUrl.Parse(Urls[i] ?? throw new FormatException("An ICE server URL is null."));
            if (parsed[i].IsTurn && (string.IsNullOrEmpty(Username) || Credential is null))
            {
                throw new ArgumentException($"'{Urls[i]}' is a TURN server: it needs a username and a credential (RFC 8656 §9.2).");
            }
        }

        return parsed;
    }

    /// <summary>The TURN servers among the URLs, with this server's credentials.</summary>
    /// <returns>One <see cref="TurnServer"/> per <c>turn:</c>/<c>turns:</c> URL.</returns>
    /// <exception cref="FormatException">A URL is malformed.</exception>
    /// <exception cref="ArgumentException">Missing credentials.</exception>
    public IReadOnlyList<TurnServer> GetTurnServers() => ParseUrls()
        .Where(u => u.IsTurn)
        .Select(u => new TurnServer(u.Host, u.Port, u.Transport, Username!, Credential!))
        .ToArray();

    /// <summary>The server with credentials hidden.</summary>
    /// <returns>The URLs and the user name.</returns>
    public override string ToString() => string.Join(", ", Urls ?? []) + (Username is null ? string.Empty : $" (user {Username})");
}
