using System.Globalization;
using System.Net;
using P2p.WebRtc.Turn;

namespace P2p.WebRtc;

/// <summary>
/// One parsed ICE server URL: <c>stun:HOST[:PORT]</c>, <c>stuns:HOST[:PORT]</c> (RFC 7064),
/// <c>turn:HOST[:PORT][?transport=udp|tcp]</c> and <c>turns:HOST[:PORT][?transport=tcp]</c> (RFC 7065).
/// Hosts are IP literals (IPv6 in brackets) or DNS names; names are resolved when the server is used.
/// </summary>
/// <param name="Scheme">The scheme.</param>
/// <param name="Host">The host name or IP literal (without brackets).</param>
/// <param name="Port">The port: 3478 by default, 5349 for <c>stuns:</c>/<c>turns:</c>.</param>
/// <param name="Transport">How the client reaches the server: UDP, TCP or TLS.</param>
public sealed record IceServerUrl(IceServerScheme Scheme, string Host, int Port, TurnTransport Transport)
{
    /// <summary>The default port of <c>stun:</c> and <c>turn:</c> (RFC 8489 §18.4).</summary>
    public const int DefaultPort = 3478;

    /// <summary>The default port of <c>stuns:</c> and <c>turns:</c> (RFC 8489 §18.4).</summary>
    public const int DefaultSecurePort = 5349;

    /// <summary>True for <c>turn:</c> and <c>turns:</c>.</summary>
    public bool IsTurn => Scheme is IceServerScheme.Turn or IceServerScheme.Turns;

    /// <summary>Parses a URL.</summary>
    /// <param name="url">The URL.</param>
    /// <returns>The parsed URL.</returns>
    /// <exception cref="FormatException">Not a valid ICE server URL; the message says why.</exception>
    public static IceServerUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FormatException($"'{url}' is not an ICE server URL: expected stun:, stuns:, turn: or turns: (RFC 7064, RFC 7065).");
        }

        var scheme = url[..colon].ToLowerInvariant() switch
        {
            "stun" => IceServerScheme.Stun,
            "stuns" => IceServerScheme.Stuns,
            "turn" => IceServerScheme.Turn,
            "turns" => IceServerScheme.Turns,
            var other => throw new FormatException($"'{url}': unknown scheme '{other}:' (expected stun:, stuns:, turn: or turns:)."),
        };
        var rest = url[(colon + 1)..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            throw new FormatException($"'{url}': ICE server URLs have no '//' (write {url[..colon]}:HOST:PORT).");
        }

        string? query = null;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var secure = scheme is IceServerScheme.Stuns or IceServerScheme.Turns;
        var port = secure ? DefaultSecurePort : DefaultPort;
        string host;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{url}': unterminated IPv6 literal.");
            }

            host = rest[1..close];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw new FormatException($"'{url}': '{host}' is not an IPv6 address.");
            }

            if (close + 1 < rest.Length)
            {
                port = ParsePort(url, rest[(close + 1)..]);
            }
        }
        else
        {
            var portColon = rest.LastIndexOf(':');
            host = portColon >= 0 ? rest[..portColon] : rest;
            if (portColon >= 0)
            {
                port = ParsePort(url, rest[portColon..]);
            }

            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"'{url}': an IPv6 address must be in brackets ([::1]).");
            }
        }

        if (host.Length == 0)
        {
            throw new FormatException($"'{url}': no host.");
        }

        if (host.Contains('@', StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException($"'{url}': bad host '{host}' (credentials go in the username and credential fields, not in the URL).");
        }

        var transport = scheme switch
        {
            IceServerScheme.Stuns or IceServerScheme.Turns => TurnTransport.Tls,
            _ => TurnTransport.Udp,
        };
        if (query is not null)
        {
            if (!(scheme is IceServerScheme.Turn or IceServerScheme.Turns))
            {
                throw new FormatException($"'{url}': a {url[..colon]}: URL takes no query (RFC 7064).");
            }

            transport = query.ToLowerInvariant() switch
            {
                "transport=udp" when scheme == IceServerScheme.Turn => TurnTransport.Udp,
                "transport=tcp" => scheme == IceServerScheme.Turns ? TurnTransport.Tls : TurnTransport.Tcp,
                "transport=udp" => throw new FormatException($"'{url}': turns: runs over TLS, so over TCP; transport=udp (DTLS) is not supported."),
                _ => throw new FormatException($"'{url}': unknown query '{query}' (expected transport=udp or transport=tcp, RFC 7065)."),
            };
        }

        return new IceServerUrl(scheme, host, port, transport);
    }

    /// <summary>The URL in its canonical form.</summary>
    /// <returns>E.g. <c>turn:198.51.100.1:3478?transport=tcp</c>.</returns>
    public override string ToString()
    {
        var scheme = Scheme.ToString().ToLowerInvariant();
        var host = Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host;
        var query = Scheme == IceServerScheme.Turn && Transport == TurnTransport.Tcp ? "?transport=tcp" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}:{host}:{Port}{query}");
    }

    private static int ParsePort(string url, string text) =>
        text.Length > 1 && text[0] == ':' && int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
            ? p
            : throw new FormatException($"'{url}': bad port '{text.TrimStart(':')}'.");
}
