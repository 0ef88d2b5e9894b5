namespace P2p.WebRtc.Sdp;

/// <summary>A <c>c=</c> line (RFC 8866 §5.7), e.g. <c>IN IP4 127.0.0.1</c>.</summary>
/// <param name="NetworkType">The network type, <c>IN</c>.</param>
/// <param name="AddressType">The address type, <c>IP4</c> or <c>IP6</c>.</param>
/// <param name="Address">The connection address as written (may carry /ttl for multicast).</param>
public sealed record SdpConnection(string NetworkType, string AddressType, string Address)
{
    /// <summary>The placeholder browsers write for trickle ICE: <c>IN IP4 0.0.0.0</c>.</summary>
    public static SdpConnection Unspecified { get; } = new("IN", "IP4", "0.0.0.0");

    /// <summary>Parses the value after <c>c=</c>.</summary>
    /// <param name="text">The value.</param>
    /// <returns>The connection data.</returns>
    /// <exception cref="SdpParseException">The value is malformed.</exception>
    public static SdpConnection Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var f = SdpSyntax.SplitFields(text);
        if (f is not { Length: 3 } || !SdpSyntax.IsToken(f[0]) || !SdpSyntax.IsToken(f[1]) || !SdpSyntax.IsVisible(f[2]))
        {
            throw new SdpParseException(0, "c=" + text, "expected \"<nettype> <addrtype> <address>\"");
        }

        return new SdpConnection(f[0], f[1], f[2]);
    }

    /// <summary>Formats the value after <c>c=</c>.</summary>
    public override string ToString() => $"{NetworkType} {AddressType} {Address}";
}
