using System.Globalization;

namespace P2p.WebRtc.Sdp;

/// <summary>The <c>o=</c> line (RFC 8866 §5.2).</summary>
/// <param name="Username">The user name, <c>-</c> when none.</param>
/// <param name="SessionId">The numeric session id.</param>
/// <param name="SessionVersion">The session version, incremented on every change.</param>
/// <param name="NetworkType">The network type, <c>IN</c>.</param>
/// <param name="AddressType">The address type, <c>IP4</c> or <c>IP6</c>.</param>
/// <param name="UnicastAddress">The address of the originating host (browsers write 127.0.0.1).</param>
public sealed record SdpOrigin(string Username, ulong SessionId, ulong SessionVersion, string NetworkType, string AddressType, string UnicastAddress)
{
    /// <summary>Parses the value after <c>o=</c>.</summary>
    /// <param name="text">The value.</param>
    /// <returns>The origin.</returns>
    /// <exception cref="SdpParseException">The value is malformed.</exception>
    public static SdpOrigin Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var f = SdpSyntax.SplitFields(text);
        if (f is not { Length: 6 })
        {
            throw new SdpParseException(0, "o=" + text, "expected six fields: username sess-id sess-version nettype addrtype address");
        }

        if (!SdpSyntax.IsVisible(f[0]) || !SdpSyntax.IsToken(f[3]) || !SdpSyntax.IsToken(f[4]) || !SdpSyntax.IsVisible(f[5]))
        {
            throw new SdpParseException(0, "o=" + text, "bad field");
        }

        if (!SdpSyntax.TryParseULong(f[1], out var id) || !SdpSyntax.TryParseULong(f[2], out var version))
        {
            throw new SdpParseException(0, "o=" + text, "session id and version must be numbers");
        }

        return new SdpOrigin(f[0], id, version, f[3], f[4], f[5]);
    }

    /// <summary>Formats the value after <c>o=</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Username} {SessionId} {SessionVersion} {NetworkType} {AddressType} {UnicastAddress}");
}
