namespace P2p.WebRtc.Sdp;

/// <summary>
/// One <c>a=</c> line (RFC 8866 §5.13): a property attribute (<c>a=name</c>, <see cref="Value"/> is
/// <see langword="null"/>) or a value attribute (<c>a=name:value</c>).
/// </summary>
/// <param name="Name">The attribute name, e.g. <c>ice-ufrag</c>.</param>
/// <param name="Value">The value after the first colon, or <see langword="null"/> for a property attribute.</param>
public sealed record SdpAttribute(string Name, string? Value = null)
{
    /// <summary>Formats the attribute as it appears after <c>a=</c>.</summary>
    public override string ToString() => Value is null ? Name : $"{Name}:{Value}";

    /// <summary>Parses the text after <c>a=</c>.</summary>
    /// <param name="text">E.g. <c>mid:0</c> or <c>end-of-candidates</c>.</param>
    /// <returns>The attribute.</returns>
    /// <exception cref="SdpParseException">The name is empty or not a token.</exception>
    public static SdpAttribute Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        if (!SdpSyntax.IsToken(name))
        {
            throw new SdpParseException(0, "a=" + text, "attribute name is not a token");
        }

        return new SdpAttribute(name, colon < 0 ? null : text[(colon + 1)..]);
    }
}
