using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace P2p.Signaling.Server.IceServers;

/// <summary>
/// The "TURN REST" credential scheme (draft-uberti-behave-turn-rest-00 §2.2, as coturn's <c>use-auth-secret</c>
/// checks it): user name <c>EXPIRY[SEPARATOR USERID]</c>, credential <c>base64(HMAC-SHA1(secret, username))</c>.
/// </summary>
internal static class TurnRestCredentials
{
    /// <summary>The user name for credentials that expire at <paramref name="expiry"/> (whole Unix seconds).</summary>
    public static string Username(long expiry, string userId, string separator) =>
        userId.Length == 0
            ? expiry.ToString(CultureInfo.InvariantCulture)
            : string.Concat(expiry.ToString(CultureInfo.InvariantCulture), separator, userId);

    /// <summary>The password for <paramref name="username"/>: base64 of its HMAC-SHA1 under the shared secret (UTF-8 both).</summary>
    /// <remarks>HMAC-SHA1 is what coturn (and the scheme) defines; HMAC-SHA1 is not affected by SHA-1's collision attacks.</remarks>
#pragma warning disable CA5350 // the TURN REST scheme fixes the algorithm; the TURN server verifies exactly this
    public static string Credential(byte[] secret, string username) =>
        Convert.ToBase64String(HMACSHA1.HashData(secret, Encoding.UTF8.GetBytes(username)));
#pragma warning restore CA5350
}
