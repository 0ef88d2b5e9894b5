using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Testing.Network;

/// <summary>The outcome of <see cref="VirtualTurnAuthenticator.Verify"/>, in the order RFC 8489 §9.2.4 checks.</summary>
internal enum VirtualTurnAuthOutcome
{
    /// <summary>Authenticated.</summary>
    Authenticated,

    /// <summary>No MESSAGE-INTEGRITY: 401 with REALM and NONCE, unsigned.</summary>
    NoCredentials,

    /// <summary>MESSAGE-INTEGRITY without USERNAME, REALM or NONCE: 400.</summary>
    Incomplete,

    /// <summary>Unknown user, wrong realm, credentials refused or MESSAGE-INTEGRITY wrong: 401 with REALM and NONCE, unsigned.</summary>
    Rejected,

    /// <summary>The NONCE is not one the server issued, or it expired: 438 with a new NONCE and REALM.</summary>
    StaleNonce,
}

/// <summary>
/// The long-term credential mechanism on the server side (RFC 8489 §9.2): users and passwords, the realm, and the
/// nonces the server issued with their expiry. Not thread-safe: the server calls it under its lock.
/// </summary>
internal sealed class VirtualTurnAuthenticator
{
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _nonces = new(StringComparer.Ordinal);
    private readonly Random _random;

    public VirtualTurnAuthenticator(int seed) => _random = new Random(seed);

    public string Realm { get; set; } = VirtualTurnServer.DefaultRealm;

    /// <summary>How long a nonce stays valid; <see cref="Timeout.InfiniteTimeSpan"/> for ever.</summary>
    public TimeSpan NonceLifetime { get; set; } = VirtualTurnServer.DefaultNonceLifetime;

    public bool RejectAll { get; set; }

    public void SetUser(string username, string password) => _passwords[username] = password;

    public bool RemoveUser(string username) => _passwords.Remove(username);

    /// <summary>Issues a new nonce valid for <see cref="NonceLifetime"/> from <paramref name="now"/>, forgetting the expired ones.</summary>
    public string NewNonce(TimeSpan now)
    {
        foreach (var (nonce, expiry) in _nonces)
        {
            if (now >= expiry)
            {
                _nonces.Remove(nonce);
            }
        }

        // RFC 8489 §14.10: fewer than 128 characters; 24 hex digits from the seeded generator keep runs reproducible.
        Span<byte> bytes = stackalloc byte[12];
        _random.NextBytes(bytes);
        var value = Convert.ToHexStringLower(bytes);
        _nonces[value] = NonceLifetime == Timeout.InfiniteTimeSpan || NonceLifetime >= TimeSpan.MaxValue - now ? TimeSpan.MaxValue : now + NonceLifetime;
        return value;
    }

    /// <summary>Makes every nonce issued so far stale: the next request with one of them gets 438.</summary>
    public void ExpireNonces() => _nonces.Clear();

    /// <summary>Verifies a request's long-term credentials (RFC 8489 §9.2.4).</summary>
    /// <param name="request">The request.</param>
    /// <param name="now">The network's time.</param>
    /// <param name="username">The authenticated user.</param>
    /// <param name="key">The user's key, to sign the responses with.</param>
    /// <returns>The outcome.</returns>
    public VirtualTurnAuthOutcome Verify(in StunMessage request, TimeSpan now, out string? username, out byte[]? key)
    {
        username = null;
        key = null;
        if (!request.HasMessageIntegrity)
        {
            // MESSAGE-INTEGRITY-SHA256 alone is not offered (no PASSWORD-ALGORITHMS in our nonces): treated as no credentials.
            return VirtualTurnAuthOutcome.NoCredentials;
        }

        var user = request.GetString(StunAttributeType.Username);
        var realm = request.GetString(StunAttributeType.Realm);
        var nonce = request.GetString(StunAttributeType.Nonce);
        if (user is null || realm is null || nonce is null)
        {
            return VirtualTurnAuthOutcome.Incomplete;
        }

        if (RejectAll || realm != Realm || !_passwords.TryGetValue(user, out var password))
        {
            return VirtualTurnAuthOutcome.Rejected;
        }

        var candidate = StunCredentials.LongTermKey(user, realm, password);
        if (!request.VerifyMessageIntegrity(candidate))
        {
            return VirtualTurnAuthOutcome.Rejected;
        }

        if (!_nonces.TryGetValue(nonce, out var expiry) || now >= expiry)
        {
            return VirtualTurnAuthOutcome.StaleNonce;
        }

        username = user;
        key = candidate;
        return VirtualTurnAuthOutcome.Authenticated;
    }
}
