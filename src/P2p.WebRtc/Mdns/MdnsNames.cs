namespace P2p.WebRtc.Mdns;

/// <summary>The names mDNS for ICE uses: <c>&lt;name&gt;.local</c> (RFC 6762 §3), random UUIDs for published candidates.</summary>
public static class MdnsNames
{
    /// <summary>Whether <paramref name="name"/> is a valid DNS name in the <c>.local</c> domain (a trailing dot allowed, case-insensitive).</summary>
    /// <param name="name">A host name.</param>
    /// <returns>True for e.g. <c>1f0e2c0a-….local</c>.</returns>
    public static bool IsLocal(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        var trimmed = Normalize(name);
        return trimmed.Length > ".local".Length && trimmed.EndsWith(".local", StringComparison.OrdinalIgnoreCase) && DnsName.IsValid(trimmed);
    }

    /// <summary>A new random name, <c>&lt;UUID version 4&gt;.local</c>, as browsers use for their host candidates.</summary>
    /// <returns>The name, lower case.</returns>
    public static string NewRandom() => Guid.NewGuid().ToString("D") + ".local";

    /// <summary>The name without a trailing dot.</summary>
    internal static string Normalize(string name) => name.EndsWith('.') ? name[..^1] : name;
}
