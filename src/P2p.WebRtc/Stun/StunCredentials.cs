using System.Security.Cryptography;
using System.Text;

namespace P2p.WebRtc.Stun;

/// <summary>
/// Keys for MESSAGE-INTEGRITY (RFC 8489 §9). SASLprep (RFC 4013) is not applied: ICE passwords are
/// ASCII ice-chars (RFC 8839 §5.4), for which SASLprep is the identity; TURN users with non-ASCII
/// passwords must pass them already prepared.
/// </summary>
public static class StunCredentials
{
    /// <summary>The short-term credential key: the password's UTF-8 bytes (RFC 8489 §9.1.1).</summary>
    /// <param name="password">The password (for ICE: the peer's or own <c>ice-pwd</c>).</param>
    /// <returns>The key.</returns>
    public static byte[] ShortTermKey(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return Encoding.UTF8.GetBytes(password);
    }

    /// <summary>The long-term credential key MD5(username ":" realm ":" password) (RFC 8489 §9.2.2), for TURN.</summary>
    /// <param name="username">The user name.</param>
    /// <param name="realm">The realm from the server's REALM attribute.</param>
    /// <param name="password">The password.</param>
    /// <returns>The 16-byte key.</returns>
    public static byte[] LongTermKey(string username, string realm, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(realm);
        ArgumentNullException.ThrowIfNull(password);
#pragma warning disable CA5351 // MD5 is what RFC 8489 §9.2.2 mandates for this key; it is not used for security on its own.
        return MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}"));
#pragma warning restore CA5351
    }

    /// <summary>The long-term key with PASSWORD-ALGORITHM SHA-256: SHA-256(username ":" realm ":" password) (RFC 8489 §9.2.2).</summary>
    /// <param name="username">The user name.</param>
    /// <param name="realm">The realm.</param>
    /// <param name="password">The password.</param>
    /// <returns>The 32-byte key.</returns>
    public static byte[] LongTermKeySha256(string username, string realm, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(realm);
        ArgumentNullException.ThrowIfNull(password);
        return SHA256.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}"));
    }
}
