using System.Net;
using System.Text;
using P2p.Core;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Testing;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.Testing.NatLab;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>
/// End to end: the signaling server's TURN REST credentials (<c>get_ice_servers</c>) are accepted by a real coturn
/// started with <c>--use-auth-secret --static-auth-secret</c> on 127.0.0.1, first by coturn's own client, then by
/// P2p's peer connections with <see cref="IceTransportPolicy.Relay"/>.
/// </summary>
[NonParallelizable]
public class TurnRestCoturnTests
{
    private const string Secret = "turn-rest-secret-for-tests";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private CoturnProcess? _coturn;
    private EmbeddedSignalingServer? _signaling;
    private TestLog? _log;

    private CoturnProcess Coturn => _coturn!;

    private EmbeddedSignalingServer Signaling => _signaling!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _log = new TestLog();
        // A missing turnserver fails here with the package to install (./test.sh installs it).
        _coturn = await CoturnProcess.StartAsync(CoturnOptions.Loopback() with { StaticAuthSecret = Secret });
        _signaling = await SignalingServer.StartAsync(o =>
        {
            o.TurnRest.Urls = [_coturn!.TurnUdpUrl];
            o.TurnRest.Secret = Secret;
        });
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_signaling is not null)
        {
            await _signaling.DisposeAsync();
        }

        if (_coturn is not null)
        {
            await _coturn.DisposeAsync();
        }

        _log?.Dispose();
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Credentials_from_get_ice_servers_are_accepted_by_coturn(CancellationToken ct)
    {
        var turn = await FetchTurnServerAsync(ct);
        var (exitCode, output) = await Coturn.RunUClientAsync(turn.Username!, turn.Credential!, ct);
        Assert.That(exitCode, Is.Zero, $"turnutils_uclient failed:\n{output}\n--- coturn:\n{Coturn.RecentOutput}");
        Assert.That(output, Does.Contain("tot_recv_msgs=").And.Not.Contain("Cannot complete Allocation"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_tampered_credential_is_refused_by_coturn(CancellationToken ct)
    {
        var turn = await FetchTurnServerAsync(ct);
        var (exitCode, output) = await Coturn.RunUClientAsync(turn.Username!, "AAAA" + turn.Credential![4..], ct);
        Assert.That(exitCode, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("Cannot complete Allocation"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Expired_credentials_are_refused_by_coturn(CancellationToken ct)
    {
        // Made here with the same scheme, but expired a minute ago: coturn checks the expiry in the user name.
        var (username, password) = TurnRestCredentials.Create(Secret, "expired", DateTimeOffset.UtcNow.AddMinutes(-1));
        var (exitCode, output) = await Coturn.RunUClientAsync(username, password, ct);
        Assert.That(exitCode, Is.Not.Zero, output);

        var (fresh, freshPassword) = TurnRestCredentials.Create(Secret, "fresh", DateTimeOffset.UtcNow.AddMinutes(10));
        var (freshExit, freshOutput) = await Coturn.RunUClientAsync(fresh, freshPassword, ct);
        Assert.That(freshExit, Is.Zero, "the same scheme with a future expiry is accepted: only the expiry differs\n" + freshOutput);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_peer_connection_pair_with_the_relay_policy_connects_through_coturn(CancellationToken ct)
    {
        var offererServers = await FetchServersAsync(ct);
        var answererServers = await FetchServersAsync(ct);
        await using var offerer = new RtcPeerConnection(RelayOnly(offererServers));
        await using var answerer = new RtcPeerConnection(RelayOnly(answererServers));
        var candidates = new List<string>();
        offerer.IceCandidate += async (_, e) =>
        {
            lock (candidates)
            {
                candidates.Add(e.Candidate?.Candidate ?? "");
            }

            await answerer.AddIceCandidateAsync(e.Candidate);
        };
        answerer.IceCandidate += async (_, e) => await offerer.AddIceCandidateAsync(e.Candidate);
        var sent = offerer.CreateDataChannel("turn", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var received = answerer.CreateDataChannel("turn", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var message = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        received.MessageReceived += (_, e) => message.TrySetResult(Encoding.UTF8.GetString(e.Data.Span));
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sent.Opened += (_, _) => open.TrySetResult();

        var offer = await offerer.CreateOfferAsync(ct);
        await offerer.SetLocalDescriptionAsync(offer, ct);
        await answerer.SetRemoteDescriptionAsync(offer, ct);
        var answer = await answerer.CreateAnswerAsync(ct);
        await answerer.SetLocalDescriptionAsync(answer, ct);
        await offerer.SetRemoteDescriptionAsync(answer, ct);

        try
        {
            await open.Task.WaitAsync(Timeout, ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no connection through coturn: offerer {offerer.ConnectionState} ({offerer.Error?.Message}), answerer {answerer.ConnectionState}\n--- coturn:\n{Coturn.RecentOutput}");
        }

        sent.Send("through the relay");
        Assert.That(await message.Task.WaitAsync(Timeout, ct), Is.EqualTo("through the relay"));
        lock (candidates)
        {
            var real = candidates.Where(c => c.Length > 0).ToArray();
            Assert.That(real, Is.Not.Empty);
            Assert.That(real, Is.All.Contain(" typ relay"), "the relay policy gathers relayed candidates only");
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_group_whose_transport_takes_its_servers_from_signaling_connects_relay_only_through_coturn(CancellationToken ct)
    {
        var candidates = new System.Collections.Concurrent.ConcurrentQueue<string>();
        CandidateRecorder Transport() => new(new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
        {
            AddressFilter = a => a.Equals(IPAddress.Loopback),
            IceServersFromSignaling = true,
            IceTransportPolicy = IceTransportPolicy.Relay,
            LoggerFactory = _log!,
        }), candidates);

        var options = new P2pOptions { LoggerFactory = _log!, ConnectTimeout = Timeout };
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var owner = await Group.CreateAsync(await ConnectAsync(ct), Transport(), GroupCapability.All, null, options, ct);
        await using var member = await Group.JoinAsync(await ConnectAsync(ct), Transport(), owner.Id, new GroupOptions
        {
            MessageHandler = (from, data, _) =>
            {
                heard.TrySetResult(Encoding.UTF8.GetString(data.Span));
                return ValueTask.CompletedTask;
            },
        }, options, ct);

        using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connected.CancelAfter(Timeout);
        try
        {
            // Both views: the member may see the link connected a moment before the owner's side has its channel.
            await Task.WhenAll(member.WhenAllConnectedAsync(connected.Token), owner.WhenAllConnectedAsync(connected.Token));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"the members did not connect through coturn\n{_log}\n--- coturn:\n{Coturn.RecentOutput}");
        }

        var sent = await owner.BroadcastAsync("relayed"u8.ToArray(), ct);
        Assert.That(sent.Failed, Is.Empty, "the owner's link was connected");
        Assert.That(await heard.Task.WaitAsync(Timeout, ct), Is.EqualTo("relayed"));
        var real = candidates.Where(c => c.Length > 0).ToArray();
        Assert.That(real, Is.Not.Empty);
        Assert.That(real, Is.All.Contain(" typ relay"), "both members signalled relayed candidates only: allocated on coturn, which accepts nothing but TURN REST credentials here");
    }

    /// <summary>The transport, recording every local candidate its connections signal.</summary>
    private sealed class CandidateRecorder(WebRtcPeerConnectionFactory inner, System.Collections.Concurrent.ConcurrentQueue<string> candidates) : P2p.Core.Transport.IPeerConnectionFactory
    {
        public bool IceServersFromSignaling => inner.IceServersFromSignaling;

        public P2p.Core.Transport.IPeerConnection CreateConnection(P2p.Core.Transport.PeerConnectionContext context)
        {
            var connection = inner.CreateConnection(context);
            connection.LocalCandidate += (_, c) => candidates.Enqueue(c.Candidate);
            return connection;
        }
    }

    private static RtcConfiguration RelayOnly(IReadOnlyList<IceServerPayload> servers) => new()
    {
        IceServers = [.. servers.Select(s => new RtcIceServer(s.Urls, s.Username, s.Credential))],
        IceTransportPolicy = IceTransportPolicy.Relay,
        AddressFilter = a => a.Equals(IPAddress.Loopback),
    };

    private async Task<WebSocketSignalingChannel> ConnectAsync(CancellationToken ct) =>
        await WebSocketSignalingChannel.ConnectAsync(Signaling.Uri, cancellationToken: ct);

    private async Task<IReadOnlyList<IceServerPayload>> FetchServersAsync(CancellationToken ct)
    {
        await using var channel = await ConnectAsync(ct);
        await channel.InitAsync(ct);
        return await channel.GetIceServersAsync(ct);
    }

    private async Task<IceServerPayload> FetchTurnServerAsync(CancellationToken ct)
    {
        var turn = (await FetchServersAsync(ct)).Single();
        Assert.That(turn.Urls, Is.EqualTo(new[] { Coturn.TurnUdpUrl }));
        Assert.That(turn.Username, Does.Match("^[0-9]+:[0-9a-f]{32}$"));
        return turn;
    }
}
