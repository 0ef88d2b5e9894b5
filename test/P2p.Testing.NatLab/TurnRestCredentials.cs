using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace P2p.Testing.NatLab;

/// <summary>
/// Time-limited TURN credentials of the "TURN REST" scheme coturn implements with <c>--use-auth-secret</c>
/// (draft-uberti-behave-turn-rest-00): user name <c>EXPIRY:USER</c> (Unix seconds), password
/// base64(HMAC-SHA1(secret, user name)).
/// </summary>
public static class TurnRestCredentials
{
    /// <summary>Makes the credentials.</summary>
    /// <param name="secret">The server's static auth secret.</param>
    /// <param name="user">Any user label.</param>
    /// <param name="expires">When they stop working.</param>
    /// <returns>The user name and password.</returns>
    public static (string Username, string Password) Create(string secret, string user, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var username = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + user;
#pragma warning disable CA5350 // HMAC-SHA1 is what the scheme (and coturn) specifies.
        var password = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username)));
#pragma warning restore CA5350
        return (username, password);
    }
}
