using System.Security.Cryptography;

namespace P2p.WebRtc.Ice;

/// <summary>ICE username fragments and passwords (RFC 8839 §5.4, RFC 8445 §5.3).</summary>
public static class IceCredentials
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>A random ufrag of 8 ice-chars (48 bits; RFC 8445 §5.3 asks for at least 24).</summary>
    /// <returns>The ufrag.</returns>
    public static string NewUfrag() => Random(8);

    /// <summary>A random password of 24 ice-chars (144 bits; RFC 8445 §5.3 asks for at least 128).</summary>
    /// <returns>The password.</returns>
    public static string NewPassword() => Random(24);

    /// <summary>Whether a ufrag is valid: 4–256 ice-chars (RFC 8839 §5.4).</summary>
    /// <param name="ufrag">The ufrag.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidUfrag(string? ufrag) => ufrag is { Length: >= 4 and <= 256 } && AllIceChars(ufrag);

    /// <summary>Whether a password is valid: 22–256 ice-chars (RFC 8839 §5.4).</summary>
    /// <param name="password">The password.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidPassword(string? password) => password is { Length: >= 22 and <= 256 } && AllIceChars(password);

    private static bool AllIceChars(string s)
    {
        foreach (var c in s)
        {
            if (!IceChars.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string Random(int length) => RandomNumberGenerator.GetString(IceChars, length);
}
