namespace P2p.Core.Identity;

/// <summary>
/// End-to-end identity of the members of a group (<see cref="GroupOptions.Identity"/>; docs/concepts.md, "Identity").
/// Without it (or without a <see cref="Key"/>), this member proves nothing and requires nothing, as before; it still
/// verifies the identity a peer presents and exposes it as <see cref="IPeer.Identity"/>.
/// </summary>
public sealed class IdentityOptions
{
    /// <summary>
    /// This member's identity key; <see langword="null"/> for none (no identity is sent). Used, not copied: keep it undisposed
    /// while the group is open.
    /// </summary>
    public IdentityKey? Key { get; set; }

    /// <summary>The stable name this member claims (UTF-8, at most 256 bytes; may be empty).</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// Decides whether a verified peer identity is accepted. Default <see cref="IdentityTrustPolicies.AcceptAnyVerified"/>:
    /// any key that proves possession. That exposes who holds which key (<see cref="IPeer.Identity"/>) and refuses relayed or
    /// forged proofs, but a signaling server can still put its own endpoint with its own key in the middle: to refuse that,
    /// tie names to keys (<see cref="IdentityTrustPolicies.Pinned"/>, <see cref="IdentityTrustPolicies.TrustOnFirstUse"/>, or a
    /// callback). See docs/threat-model.md.
    /// </summary>
    public IIdentityTrustPolicy TrustPolicy { get; set; } = IdentityTrustPolicies.AcceptAnyVerified;

    /// <summary>
    /// Whether a peer must prove an identity before it is reported connected and before any of its messages is delivered.
    /// <see langword="null"/> (default): required when <see cref="Key"/> is set.
    /// </summary>
    public bool? RequirePeerIdentity { get; set; }

    /// <summary>Whether peers must prove an identity, with the default applied.</summary>
    public bool PeerIdentityRequired => RequirePeerIdentity ?? Key is not null;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Name, nameof(Name));
        ArgumentNullException.ThrowIfNull(TrustPolicy, nameof(TrustPolicy));
        if (System.Text.Encoding.UTF8.GetByteCount(Name) > IdentityHandshake.MaxNameBytes)
        {
            throw new ArgumentException($"The identity name is longer than {IdentityHandshake.MaxNameBytes} UTF-8 bytes.", nameof(Name));
        }
    }
}
