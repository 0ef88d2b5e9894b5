namespace P2p.Core.Identity;

/// <summary>
/// A member's identity as verified on the connection to it: it proved possession of the private key of
/// <see cref="PublicKey"/> by signing a transcript bound to this connection, and the trust policy accepted it.
/// </summary>
/// <param name="Name">The stable name the member claims (not unique by itself: trust policies tie names to keys).</param>
/// <param name="KeyId">Lowercase hex SHA-256 of the public key (<see cref="IdentityKey.KeyId"/>).</param>
/// <param name="PublicKey">The public key, SubjectPublicKeyInfo DER.</param>
public sealed record PeerIdentity(string Name, string KeyId, ReadOnlyMemory<byte> PublicKey);
