using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Ice;

/// <summary>Candidate and pair priorities (RFC 8445 §5.1.2, §6.1.2.3).</summary>
public static class IcePriority
{
    /// <summary>The recommended type preference (RFC 8445 §5.1.2.2): host 126, peer-reflexive 110, server-reflexive 100, relayed 0.</summary>
    /// <param name="type">The candidate type.</param>
    /// <returns>The type preference.</returns>
    public static int TypePreference(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => 126,
        IceCandidateType.PeerReflexive => 110,
        IceCandidateType.ServerReflexive => 100,
        _ => 0,
    };

    /// <summary>priority = 2^24·type preference + 2^8·local preference + (256 − component id) (RFC 8445 §5.1.2.1).</summary>
    /// <param name="type">The candidate type.</param>
    /// <param name="localPreference">0–65535; higher is preferred.</param>
    /// <param name="component">The component id, 1–256.</param>
    /// <returns>The priority.</returns>
    public static uint Candidate(IceCandidateType type, int localPreference, int component = 1) =>
        ((uint)TypePreference(type) << 24) | ((uint)(localPreference & 0xFFFF) << 8) | (uint)(256 - component);

    /// <summary>pair priority = 2^32·MIN(G,D) + 2·MAX(G,D) + (G &gt; D ? 1 : 0), G the controlling agent's candidate priority (RFC 8445 §6.1.2.3).</summary>
    /// <param name="controlling">The priority of the controlling agent's candidate.</param>
    /// <param name="controlled">The priority of the controlled agent's candidate.</param>
    /// <returns>The pair priority.</returns>
    public static ulong Pair(uint controlling, uint controlled) =>
        ((ulong)Math.Min(controlling, controlled) << 32) + (2UL * Math.Max(controlling, controlled)) + (controlling > controlled ? 1UL : 0UL);
}
