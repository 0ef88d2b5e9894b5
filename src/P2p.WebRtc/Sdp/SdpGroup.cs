namespace P2p.WebRtc.Sdp;

/// <summary>An <c>a=group</c> attribute (RFC 5888 §5), e.g. <c>BUNDLE 0 1</c> (RFC 9143).</summary>
/// <param name="Semantics">The semantics, e.g. <c>BUNDLE</c>.</param>
/// <param name="Mids">The identification tags (<c>a=mid</c> values) of the grouped media sections.</param>
public sealed record SdpGroup(string Semantics, IReadOnlyList<string> Mids)
{
    /// <summary>Parses the attribute value.</summary>
    /// <param name="text">E.g. <c>BUNDLE 0</c>.</param>
    /// <returns>The group.</returns>
    /// <exception cref="SdpParseException">The value is malformed.</exception>
    public static SdpGroup Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var f = SdpSyntax.SplitFields(text);
        if (f is null || !SdpSyntax.IsToken(f[0]))
        {
            throw new SdpParseException(0, "a=group:" + text, "expected \"<semantics> <mid> …\"");
        }

        return new SdpGroup(f[0], f[1..]);
    }

    /// <summary>Formats the attribute value.</summary>
    public override string ToString() => Mids.Count == 0 ? Semantics : Semantics + " " + string.Join(' ', Mids);
}
