using System.Text;
using System.Text.Json.Serialization;

namespace P2p.Signaling.Abstractions;

/// <summary>
/// A STUN or TURN server in the browser's own JSON shape (<c>RTCIceServer</c>):
/// <c>{"urls":["turn:turn.example.org:3478"],"username":"1767225600:7dac…","credential":"kZ2…="}</c>. The result of
/// <c>get_ice_servers</c> is an array of these; a browser hands it to <c>RTCPeerConnection</c> untouched.
/// </summary>
/// <param name="Urls">The server's URLs: <c>stun:</c>, <c>stuns:</c>, <c>turn:</c> or <c>turns:</c> (RFC 7064, RFC 7065).</param>
/// <param name="Username">The TURN user name; <see langword="null"/> for STUN. With TURN REST credentials: <c>EXPIRY:USERID</c>, EXPIRY in Unix seconds.</param>
/// <param name="Credential">The TURN password; <see langword="null"/> for STUN. Never part of <see cref="ToString"/>.</param>
public sealed record IceServerPayload(
    [property: JsonPropertyName("urls")] IReadOnlyList<string> Urls,
    [property: JsonPropertyName("username"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username = null,
    [property: JsonPropertyName("credential"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Credential = null)
{
    /// <summary>
    /// When the credentials expire, read from a TURN REST user name (<c>EXPIRY:USERID</c> or just <c>EXPIRY</c>, EXPIRY in
    /// Unix seconds, the convention coturn's <c>use-auth-secret</c> checks); <see langword="null"/> when the user name
    /// does not follow it (static credentials, or none).
    /// </summary>
    /// <param name="separator">Between the expiry and the user id (coturn's <c>rest-api-separator</c>).</param>
    /// <returns>The expiry, or <see langword="null"/>.</returns>
    public DateTimeOffset? TryGetTurnRestExpiry(char separator = ':')
    {
        if (string.IsNullOrEmpty(Username))
        {
            return null;
        }

        var end = Username.IndexOf(separator, StringComparison.Ordinal);
        var digits = end < 0 ? Username.AsSpan() : Username.AsSpan(0, end);
        if (digits.Length is 0 or > 12 || !long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        return seconds > 253402300799 ? null : DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    /// <summary>The URLs and the user name; the credential is left out so that it never reaches a log.</summary>
    /// <returns>E.g. <c>turn:198.51.100.1:3478 (user 1767225600:7dac…)</c>.</returns>
    public override string ToString()
    {
        var text = new StringBuilder(string.Join(", ", Urls ?? []));
        if (Username is not null)
        {
            text.Append(" (user ").Append(Username).Append(')');
        }

        return text.ToString();
    }
}
