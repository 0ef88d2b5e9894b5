using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;

namespace P2p.Transport.WebRtc.Tests.Identity;

/// <summary>
/// What a malicious signaling server can do with its own WebRTC endpoints: a full man in the middle. It answers the
/// victim's offer to <c>peer</c> itself (its own certificate), offers to <c>peer</c> in the victim's name (another
/// certificate of its own), and forwards every data channel message between the two connections, reading them on the way.
/// </summary>
internal sealed class DtlsManInTheMiddle : IAsyncDisposable
{
    private readonly MaliciousSignaling _victim;
    private readonly string _groupId;
    private readonly string _peer;
    private readonly ILoggerFactory _logging;
    private readonly ConcurrentBag<IPeerConnection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile Session? _current;

    public DtlsManInTheMiddle(MaliciousSignaling victim, string groupId, string peer, ILoggerFactory logging)
    {
        _victim = victim;
        _groupId = groupId;
        _peer = peer;
        _logging = logging;
        victim.InterceptSend = OnVictimRelay;
        victim.InterceptDeliver = OnPeerRelay;
    }

    /// <summary>Every message forwarded, in either direction (the attacker reads them all).</summary>
    public ConcurrentQueue<byte[]> Seen { get; } = new();

    /// <summary>How many offers of the victim the attacker answered itself.</summary>
    public int Intercepted;

    private Task<JsonElement>? OnVictimRelay(string to, JsonElement data, CancellationToken cancellationToken)
    {
        if (to != _peer || !data.TryGetProperty("type", out var type))
        {
            return null;
        }

        return type.GetString() switch
        {
            "offer" when !data.TryGetProperty("iceRestart", out _) => AnswerVictimAsync(data.GetProperty("sdp").GetString()!, cancellationToken),
            "candidate" when _current is { } session => AddCandidateAsync(session.FacingVictim, session.VictimReady.Task, data),
            _ => null,
        };
    }

    private bool OnPeerRelay(RelayRequest request)
    {
        if (request.FromUserId != _peer || _current is not { } session || request.Data.GetProperty("type").GetString() != "candidate")
        {
            return false;
        }

        _ = AddCandidateAsync(session.FacingPeer, session.PeerReady.Task, request.Data);
        return true;
    }

    private async Task<JsonElement> AnswerVictimAsync(string offerSdp, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Intercepted);
        var victimId = _victim.UserId!;
        var facingVictim = Create(_peer, victimId, PeerConnectionRole.Answerer);
        var facingPeer = Create(victimId, _peer, PeerConnectionRole.Offerer);
        var session = new Session(facingVictim, facingPeer);
        _current = session;

        facingVictim.LocalCandidate += (_, c) => _ = _victim.InjectAsync(new RelayRequest(_groupId, _peer, Candidate(c)), _stop.Token).AsTask();
        facingPeer.LocalCandidate += (_, c) => _ = session.PeerReady.Task.ContinueWith(_ => _victim.Inner.RelayAsync(_groupId, _peer, Candidate(c), _stop.Token), TaskScheduler.Default);
        Forward(facingVictim, facingPeer);
        Forward(facingPeer, facingVictim);

        var answer = await facingVictim.AcceptOfferAsync(new SessionDescriptionPayload("offer", offerSdp), cancellationToken);
        session.VictimReady.TrySetResult();
        _ = Task.Run(async () =>
        {
            var offer = await facingPeer.CreateOfferAsync(_stop.Token);
            var result = await _victim.Inner.RelayAsync(_groupId, _peer, JsonSerializer.SerializeToElement(offer), _stop.Token);
            await facingPeer.AcceptAnswerAsync(new SessionDescriptionPayload("answer", result.GetProperty("sdp").GetString()!), _stop.Token);
            session.PeerReady.TrySetResult();
        }, CancellationToken.None);
        return JsonSerializer.SerializeToElement(answer);
    }

    private IPeerConnection Create(string local, string remote, PeerConnectionRole role)
    {
        var factory = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback), LoggerFactory = _logging });
        var connection = factory.CreateConnection(new PeerConnectionContext(_groupId, local, remote, role, _logging.CreateLogger("Mitm")));
        _connections.Add(connection);
        return connection;
    }

    private void Forward(IPeerConnection from, IPeerConnection to) => _ = Task.Run(async () =>
    {
        try
        {
            await foreach (var message in from.Channel.Incoming.ReadAllAsync(_stop.Token))
            {
                Seen.Enqueue(message.ToArray());
                while (to.State != PeerConnectionState.Connected)
                {
                    await Task.Delay(10, _stop.Token);
                }

                await to.Channel.SendAsync(message, _stop.Token);
            }
        }
        catch (Exception)
        {
            // Either side closed: the man in the middle gives up this session.
        }
    });

    private static async Task<JsonElement> AddCandidateAsync(IPeerConnection connection, Task ready, JsonElement data)
    {
        await ready;
        var candidate = new IceCandidatePayload(
            data.GetProperty("candidate").GetString() ?? "",
            data.TryGetProperty("sdpMid", out var mid) && mid.ValueKind == JsonValueKind.String ? mid.GetString() : null,
            data.TryGetProperty("sdpMLineIndex", out var index) && index.ValueKind == JsonValueKind.Number ? index.GetInt32() : null);
        try
        {
            await connection.AddRemoteCandidateAsync(candidate, CancellationToken.None);
        }
        catch (Exception)
        {
            // A closed session's candidate.
        }

        return JsonSerializer.SerializeToElement(true);
    }

    private static JsonElement Candidate(IceCandidatePayload candidate) => JsonSerializer.SerializeToElement(new JsonObject
    {
        ["type"] = "candidate",
        ["candidate"] = candidate.Candidate,
        ["sdpMid"] = candidate.SdpMid,
        ["sdpMLineIndex"] = candidate.SdpMLineIndex,
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _stop.Dispose();
    }

    private sealed class Session(IPeerConnection facingVictim, IPeerConnection facingPeer)
    {
        public IPeerConnection FacingVictim { get; } = facingVictim;

        public IPeerConnection FacingPeer { get; } = facingPeer;

        public TaskCompletionSource VictimReady { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource PeerReady { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
