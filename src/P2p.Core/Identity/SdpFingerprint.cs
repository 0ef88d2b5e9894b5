namespace P2p.Core.Identity;

/// <summary>Reads the DTLS certificate fingerprint of a session description (its first <c>a=fingerprint:</c> line).</summary>
internal static class SdpFingerprint
{
    private const string Prefix = "a=fingerprint:";

    /// <summary>
    /// The first <c>a=fingerprint:</c> line of <paramref name="sdp"/> as <c>"&lt;algorithm&gt; &lt;VALUE&gt;"</c>: the
    /// algorithm lowercased, the value uppercased, separated by one space; <see langword="null"/> when there is none
    /// or it is not of that shape. Never throws.
    /// </summary>
    public static string? TryExtract(string? sdp)
    {
        if (string.IsNullOrEmpty(sdp))
        {
            return null;
        }

        foreach (var raw in sdp.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[Prefix.Length..].Trim();
            var space = rest.IndexOfAny(' ', '\t');
            if (space <= 0)
            {
                return null;
            }

            var algorithm = rest[..space];
            var value = rest[(space + 1)..].Trim();
            if (value.Length == 0 || value.IndexOfAny(' ', '\t') >= 0)
            {
                return null;
            }

            return $"{algorithm.ToString().ToLowerInvariant()} {value.ToString().ToUpperInvariant()}";
        }

        return null;
    }
}
