namespace P2p.Signaling.Server.IceServers;

/// <summary>
/// Time-limited TURN credentials for <c>get_ice_servers</c>, the "TURN REST" scheme coturn implements with
/// <c>use-auth-secret</c> and <c>static-auth-secret</c>: the user name is <c>EXPIRY:USERID</c> (EXPIRY in Unix
/// seconds) and the credential is <c>base64(HMAC-SHA1(secret, username))</c>, so the TURN server checks them with
/// the shared secret alone, without a user database. Off while <see cref="Secret"/> and <see cref="SecretFile"/> are unset.
/// </summary>
/// <remarks>
/// The secret is never logged, and neither are the credentials made from it. Prefer <see cref="SecretFile"/> or an
/// environment variable (<c>P2pSignaling__TurnRest__Secret</c>) to the command line, where other users of the
/// machine can read it.
/// </remarks>
public sealed class TurnRestOptions
{
    /// <summary>The default of <see cref="CredentialLifetime"/>: 24 hours.</summary>
    public static readonly TimeSpan DefaultCredentialLifetime = TimeSpan.FromHours(24);

    /// <summary>The TURN server's URLs, e.g. <c>turn:turn.example.org:3478?transport=udp</c>, <c>turns:turn.example.org:5349</c>.</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>The secret shared with the TURN server (coturn's <c>static-auth-secret</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>A file whose content (trimmed of surrounding white space) is the secret; read once at start. Use either this or <see cref="Secret"/>.</summary>
    public string? SecretFile { get; set; }

    /// <summary>
    /// How long issued credentials stay valid (default 24 h, at least 1 minute). coturn checks the expiry on every
    /// authenticated request, including the refreshes that keep an allocation alive, so this also bounds how long one
    /// relayed connection can last: keep it longer than your sessions. A client fetches new credentials for new
    /// connections long before they expire.
    /// </summary>
    public TimeSpan CredentialLifetime { get; set; } = DefaultCredentialLifetime;

    /// <summary>
    /// The user-id part of the user name; <c>{memberId}</c> is replaced by the calling connection's user id (from
    /// <c>init</c>). Default <c>{memberId}</c>, so the TURN server's log names the member. A fixed value (e.g.
    /// <c>p2p</c>) hides the member ids from the TURN server; a prefix (e.g. <c>app1-{memberId}</c>) tells
    /// applications sharing one TURN server apart.
    /// </summary>
    public string UserId { get; set; } = MemberIdPlaceholder;

    /// <summary>Between the expiry and the user id (coturn's <c>rest-api-separator</c>, default <c>:</c>).</summary>
    public string Separator { get; set; } = ":";

    /// <summary>The placeholder in <see cref="UserId"/> for the caller's member id.</summary>
    public const string MemberIdPlaceholder = "{memberId}";

    /// <summary>True when a secret is configured (<see cref="Secret"/> or <see cref="SecretFile"/>).</summary>
    public bool IsEnabled => !string.IsNullOrEmpty(Secret) || !string.IsNullOrEmpty(SecretFile);
}
