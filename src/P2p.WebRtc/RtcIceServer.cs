using System.Globalization;
using System.Net;

namespace P2p.WebRtc;

/// <summary>
/// A STUN server for server-reflexive candidates, as a URL of RFC 7064: <c>stun:HOST[:PORT]</c>
/// (port 3478 by default). Hosts must be IP literals or names that resolve. No server is ever used
/// unless configured: P2p has no public default.
/// </summary>
/// <param name="Url">The URL, e.g. <c>stun:127.0.0.1:3478</c>.</param>
public sealed record RtcIceServer(string Url)
{
    /// <summary>The default STUN port (RFC 8489 §18.4).</summary>
    public const int DefaultPort = 3478;

    /// <summary>Parses the URL into an endpoint, resolving a host name if needed.</summary>
    /// <returns>The server's address and port.</returns>
    /// <exception cref="FormatException">Not a <c>stun:</c> URL (TURN is not supported yet), or a bad port.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The host name does not resolve.</exception>
    public IPEndPoint ToEndPoint()
    {
        if (!Url.StartsWith("stun:", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{Url}' is not a stun: URL (RFC 7064); TURN servers are not supported yet.");
        }

        var rest = Url["stun:".Length..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            rest = rest[..query];
        }

        string host;
        var port = DefaultPort;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{Url}': unterminated IPv6 literal.");
            }

            host = rest[1..close];
            if (close + 1 < rest.Length)
            {
                port = ParsePort(rest[(close + 1)..]);
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon >= 0 ? rest[..colon] : rest;
            if (colon >= 0)
            {
                port = ParsePort(rest[colon..]);
            }
        }

        if (host.Length == 0)
        {
            throw new FormatException($"'{Url}': no host.");
        }

        var address = IPAddress.TryParse(host, out var literal) ? literal : Dns.GetHostAddresses(host)[0];
        return new IPEndPoint(address, port);
    }

    private int ParsePort(string text) =>
        text.Length > 1 && text[0] == ':' && int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
            ? p
            : throw new FormatException($"'{Url}': bad port '{text}'.");
}
