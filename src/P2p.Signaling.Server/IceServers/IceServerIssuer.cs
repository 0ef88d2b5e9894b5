using System.Text;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.Server.IceServers;

/// <summary>
/// Answers <c>get_ice_servers</c>: the static servers of <see cref="SignalingServerOptions.IceServers"/> as configured,
/// then the TURN server of <see cref="SignalingServerOptions.TurnRest"/> with credentials made for the caller that
/// expire <see cref="TurnRestOptions.CredentialLifetime"/> from now. Checks the configuration once, at start.
/// </summary>
internal sealed class IceServerIssuer
{
    private readonly IceServerPayload[] _static;
    private readonly TurnRestOptions _turnRest;
    private readonly string[] _turnRestUrls;
    private readonly byte[]? _secret;
    private readonly TimeProvider _time;

    /// <summary>Checks the options and loads the secret.</summary>
    /// <exception cref="ArgumentException">A malformed URL, a TURN server without credentials, a bad lifetime, or both a secret and a secret file.</exception>
    /// <exception cref="InvalidOperationException">The secret file cannot be read or is empty.</exception>
    public IceServerIssuer(SignalingServerOptions options, TimeProvider time)
    {
        _time = time;
        var configured = options.IceServers ?? [];
        _static = new IceServerPayload[configured.Count];
        for (var i = 0; i < configured.Count; i++)
        {
            var server = configured[i] ?? throw new ArgumentException($"P2pSignaling:IceServers:{i} is null.");
            var urls = CheckUrls(server.Urls, $"P2pSignaling:IceServers:{i}:Urls", out var anyTurn);
            if (anyTurn && (string.IsNullOrEmpty(server.Username) || string.IsNullOrEmpty(server.Credential)))
            {
                throw new ArgumentException($"P2pSignaling:IceServers:{i} has a turn:/turns: URL: it needs a Username and a Credential (or use P2pSignaling:TurnRest for time-limited ones).");
            }

            _static[i] = new IceServerPayload(urls, server.Username, server.Credential);
        }

        _turnRest = options.TurnRest ?? new TurnRestOptions();
        _turnRestUrls = [];
        if (!_turnRest.IsEnabled)
        {
            if (_turnRest.Urls is { Count: > 0 })
            {
                throw new ArgumentException("P2pSignaling:TurnRest:Urls is set but neither TurnRest:Secret nor TurnRest:SecretFile is: the TURN server's shared secret (coturn's static-auth-secret) is needed to make credentials.");
            }

            return;
        }

        _turnRestUrls = CheckUrls(_turnRest.Urls, "P2pSignaling:TurnRest:Urls", out _);
        var notTurn = Array.Find(_turnRestUrls, u => IceServerUrlCheck.Problem(u, out var isTurn) is null && !isTurn);
        if (notTurn is not null)
        {
            throw new ArgumentException($"P2pSignaling:TurnRest:Urls: '{notTurn}' is not a turn: or turns: URL (put STUN servers in P2pSignaling:IceServers).");
        }

        if (_turnRest.CredentialLifetime < TimeSpan.FromMinutes(1) || _turnRest.CredentialLifetime > TimeSpan.FromDays(366))
        {
            throw new ArgumentException($"P2pSignaling:TurnRest:CredentialLifetime must be from 1 minute to 366 days (it is {_turnRest.CredentialLifetime}).");
        }

        if (string.IsNullOrEmpty(_turnRest.Separator))
        {
            throw new ArgumentException("P2pSignaling:TurnRest:Separator must not be empty (coturn's default is ':').");
        }

        if (_turnRest.UserId is null)
        {
            throw new ArgumentException($"P2pSignaling:TurnRest:UserId must not be null (the default is {TurnRestOptions.MemberIdPlaceholder}).");
        }

        _secret = LoadSecret(_turnRest);
    }

    /// <summary>True when <c>get_ice_servers</c> has anything to hand out.</summary>
    public bool HasServers => _static.Length > 0 || _secret is not null;

    /// <summary>True when TURN REST credentials are made.</summary>
    public bool IssuesTurnRestCredentials => _secret is not null;

    /// <summary>The servers for the member <paramref name="memberId"/>, with fresh TURN REST credentials.</summary>
    /// <param name="memberId">The caller's user id (from <c>init</c>).</param>
    /// <param name="expiry">When the TURN REST credentials expire; <see langword="null"/> when none were made.</param>
    public IReadOnlyList<IceServerPayload> Issue(string memberId, out DateTimeOffset? expiry)
    {
        expiry = null;
        if (_secret is null)
        {
            return _static;
        }

        var seconds = _time.GetUtcNow().ToUnixTimeSeconds() + (long)Math.Ceiling(_turnRest.CredentialLifetime.TotalSeconds);
        expiry = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var userId = _turnRest.UserId.Replace(TurnRestOptions.MemberIdPlaceholder, memberId, StringComparison.Ordinal);
        var username = TurnRestCredentials.Username(seconds, userId, _turnRest.Separator);
        var result = new IceServerPayload[_static.Length + 1];
        _static.CopyTo(result, 0);
        result[^1] = new IceServerPayload(_turnRestUrls, username, TurnRestCredentials.Credential(_secret, username));
        return result;
    }

    private static string[] CheckUrls(List<string>? urls, string key, out bool anyTurn)
    {
        anyTurn = false;
        if (urls is null || urls.Count == 0)
        {
            throw new ArgumentException($"{key} is empty: an ICE server needs at least one URL.");
        }

        for (var i = 0; i < urls.Count; i++)
        {
            if (IceServerUrlCheck.Problem(urls[i], out var isTurn) is { } problem)
            {
                throw new ArgumentException($"{key}:{i} '{urls[i]}' is not a STUN/TURN URL: {problem} (e.g. stun:stun.example.org:3478, turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349).");
            }

            anyTurn |= isTurn;
        }

        return [.. urls];
    }

    private static byte[] LoadSecret(TurnRestOptions options)
    {
        if (!string.IsNullOrEmpty(options.Secret) && !string.IsNullOrEmpty(options.SecretFile))
        {
            throw new ArgumentException("Set either P2pSignaling:TurnRest:Secret or P2pSignaling:TurnRest:SecretFile, not both.");
        }

        if (!string.IsNullOrEmpty(options.Secret))
        {
            return Encoding.UTF8.GetBytes(options.Secret);
        }

        string text;
        try
        {
            text = File.ReadAllText(options.SecretFile!).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new InvalidOperationException($"P2pSignaling:TurnRest:SecretFile '{options.SecretFile}' cannot be read: {ex.Message}", ex);
        }

        return text.Length == 0
            ? throw new InvalidOperationException($"P2pSignaling:TurnRest:SecretFile '{options.SecretFile}' is empty.")
            : Encoding.UTF8.GetBytes(text);
    }
}
