using System.Globalization;

namespace P2p.Signaling.Server.IceServers;

/// <summary>
/// Checks a configured STUN/TURN URL the way a browser's <c>RTCPeerConnection</c> would (RFC 7064 §3.1, RFC 7065 §3.1),
/// so a typo fails the server's start instead of every client's peer connection.
/// </summary>
internal static class IceServerUrlCheck
{
    /// <summary>Why <paramref name="url"/> is not a usable ICE server URL, or <see langword="null"/> when it is.</summary>
    /// <param name="url">E.g. <c>stun:198.51.100.1:3478</c> or <c>turns:turn.example.org:5349?transport=tcp</c>.</param>
    /// <param name="isTurn">Set when the scheme is <c>turn:</c> or <c>turns:</c>.</param>
    public static string? Problem(string? url, out bool isTurn)
    {
        isTurn = false;
        if (string.IsNullOrWhiteSpace(url))
        {
            return "the URL is empty";
        }

        var colon = url.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? "" : url[..colon].ToLowerInvariant();
        if (scheme is not ("stun" or "stuns" or "turn" or "turns"))
        {
            return "the scheme must be stun:, stuns:, turn: or turns:";
        }

        isTurn = scheme.StartsWith("turn", StringComparison.Ordinal);
        var rest = url[(colon + 1)..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            return $"write {scheme}:HOST[:PORT], without '//'";
        }

        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            var parameters = rest[(query + 1)..].ToLowerInvariant();
            if (!isTurn)
            {
                return $"a {scheme}: URL takes no query";
            }

            if (parameters is not ("transport=udp" or "transport=tcp"))
            {
                return "the only query is ?transport=udp or ?transport=tcp";
            }

            rest = rest[..query];
        }

        string host;
        string? port = null;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return "an IPv6 address needs a closing ']'";
            }

            host = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    return "unexpected text after the IPv6 address";
                }

                port = after[1..];
            }
        }
        else
        {
            var portColon = rest.LastIndexOf(':');
            host = portColon < 0 ? rest : rest[..portColon];
            port = portColon < 0 ? null : rest[(portColon + 1)..];
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@' or '?' or '#'))
        {
            return "the host is missing or malformed";
        }

        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535))
        {
            return "the port must be a number from 1 to 65535";
        }

        return null;
    }
}
