using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using P2p.Signaling.Abstractions;

namespace P2p.Transport.WebRtc.Tests.Identity;

/// <summary>
/// A test double of a malicious signaling server, as one member (the victim) sees it: a wrapper around the victim's real
/// signaling channel that can (a) rewrite the <c>a=fingerprint</c> of the session descriptions relayed to the victim, and
/// (b) stamp a false sender id: relays from <see cref="Hidden"/> arrive as if from <see cref="Impersonated"/>, the victim's
/// relays to <see cref="Impersonated"/> go to <see cref="Hidden"/> instead, and <see cref="Hidden"/> is kept out of the
/// victim's view of the group.
/// </summary>
internal sealed partial class MaliciousSignaling(ISignalingChannel inner) : ISignalingChannel
{
    /// <summary>The fingerprint value put into session descriptions relayed to the victim (attack a), or <see langword="null"/>.</summary>
    public string? ForgedFingerprint { get; set; }

    /// <summary>The attacker's member id: hidden from the victim, its relays restamped as <see cref="Impersonated"/> (attack b).</summary>
    public string? Hidden { get; set; }

    /// <summary>The member the attacker impersonates.</summary>
    public string? Impersonated { get; set; }

    /// <summary>How many session descriptions had their fingerprint rewritten.</summary>
    public int FingerprintsRewritten;

    /// <summary>How many relays were delivered with a false sender id.</summary>
    public int SenderIdsForged;

    /// <summary>Takes over the victim's relays before anything else (the DTLS man in the middle): a non-null task is the relay's result.</summary>
    public Func<string, JsonElement, CancellationToken, Task<JsonElement>?>? InterceptSend { get; set; }

    /// <summary>Takes over relays to the victim: returns true when it consumed the relay (answered with <c>true</c>).</summary>
    public Func<RelayRequest, bool>? InterceptDeliver { get; set; }

    /// <summary>The victim's real channel: the attacker sends through it in the victim's name.</summary>
    public ISignalingChannel Inner => inner;

    /// <summary>Delivers a relay of the attacker's making to the victim (any sender id it likes).</summary>
    public ValueTask<JsonElement> InjectAsync(RelayRequest request, CancellationToken cancellationToken) => _handler!(request, cancellationToken);

    private volatile bool _forging;
    private Func<RelayRequest, CancellationToken, ValueTask<JsonElement>>? _handler;

    public string? UserId => inner.UserId;

    public bool IsClosed => inner.IsClosed;

    public bool IsConnected => inner.IsConnected;

    public Func<RelayRequest, CancellationToken, ValueTask<JsonElement>>? RelayHandler
    {
        get => _handler;
        set
        {
            _handler = value;
            inner.RelayHandler = value is null ? null : DeliverAsync;
        }
    }

    public event EventHandler<SignalingMemberEventArgs>? MemberJoined
    {
        add
        {
            _memberJoined += value;
            Subscribe();
        }

        remove => _memberJoined -= value;
    }

    public event EventHandler<SignalingMemberEventArgs>? MemberLeft
    {
        add => inner.MemberLeft += value;
        remove => inner.MemberLeft -= value;
    }

    public event EventHandler<SignalingClosedEventArgs>? Closed
    {
        add => inner.Closed += value;
        remove => inner.Closed -= value;
    }

    private EventHandler<SignalingMemberEventArgs>? _memberJoined;
    private bool _subscribed;

    public Task<string> InitAsync(CancellationToken cancellationToken = default) => inner.InitAsync(cancellationToken);

    public Task<string> CreateGroupAsync(int? capability, CancellationToken cancellationToken = default) => inner.CreateGroupAsync(capability, cancellationToken);

    public Task JoinGroupAsync(string groupId, CancellationToken cancellationToken = default) => inner.JoinGroupAsync(groupId, cancellationToken);

    public Task LeaveGroupAsync(string groupId, CancellationToken cancellationToken = default) => inner.LeaveGroupAsync(groupId, cancellationToken);

    public async Task<IReadOnlyList<string>> GetMembersAsync(string groupId, CancellationToken cancellationToken = default) =>
        [.. (await inner.GetMembersAsync(groupId, cancellationToken)).Where(m => m != Hidden)];

    public async Task<GroupInfo> GetGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        var info = await inner.GetGroupAsync(groupId, cancellationToken);
        return info with { Members = [.. info.Members.Where(m => m != Hidden)] };
    }

    public async Task<JsonElement> RelayAsync(string groupId, string toUserId, JsonElement data, CancellationToken cancellationToken = default)
    {
        if (InterceptSend?.Invoke(toUserId, data, cancellationToken) is { } intercepted)
        {
            return await intercepted;
        }

        if (_forging && toUserId == Impersonated && Hidden is { } attacker)
        {
            toUserId = attacker; // the victim talks to the attacker, believing it is the impersonated member
        }

        var result = await inner.RelayAsync(groupId, toUserId, data, cancellationToken);
        return RewriteFingerprint(result);
    }

    public Task<IReadOnlyList<IceServerPayload>> GetIceServersAsync(CancellationToken cancellationToken = default) => inner.GetIceServersAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private ValueTask<JsonElement> DeliverAsync(RelayRequest request, CancellationToken cancellationToken)
    {
        if (InterceptDeliver?.Invoke(request) == true)
        {
            return ValueTask.FromResult(JsonSerializer.SerializeToElement(true));
        }

        if (request.FromUserId == Hidden && Impersonated is { } victimOf)
        {
            _forging = true;
            Interlocked.Increment(ref SenderIdsForged);
            request = request with { FromUserId = victimOf };
        }

        request = request with { Data = RewriteFingerprint(request.Data) };
        return _handler!(request, cancellationToken);
    }

    private void Subscribe()
    {
        if (_subscribed)
        {
            return;
        }

        _subscribed = true;
        inner.MemberJoined += (sender, e) =>
        {
            if (e.UserId != Hidden)
            {
                _memberJoined?.Invoke(this, e);
            }
        };
    }

    /// <summary>Replaces the fingerprint of an offer or answer (attack a); anything else passes unchanged.</summary>
    private JsonElement RewriteFingerprint(JsonElement data)
    {
        if (ForgedFingerprint is not { } forged || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("sdp", out var sdp) || sdp.GetString() is not { } text)
        {
            return data;
        }

        var node = JsonNode.Parse(data.GetRawText())!.AsObject();
        node["sdp"] = Fingerprint().Replace(text, "a=fingerprint:sha-256 " + forged);
        Interlocked.Increment(ref FingerprintsRewritten);
        return JsonSerializer.SerializeToElement(node);
    }

    [GeneratedRegex(@"a=fingerprint:[^\r\n]*")]
    private static partial Regex Fingerprint();
}
