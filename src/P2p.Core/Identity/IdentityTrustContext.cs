namespace P2p.Core.Identity;

/// <summary>What a trust policy decides on: a peer that proved possession of a key on a connection in a group.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="MemberId">The peer's member (user) id for this signaling session.</param>
/// <param name="Name">The name the peer claims.</param>
/// <param name="KeyId">Lowercase hex SHA-256 of the peer's public key.</param>
/// <param name="PublicKey">The peer's public key, SubjectPublicKeyInfo DER.</param>
public sealed record IdentityTrustContext(string GroupId, string MemberId, string Name, string KeyId, ReadOnlyMemory<byte> PublicKey);
