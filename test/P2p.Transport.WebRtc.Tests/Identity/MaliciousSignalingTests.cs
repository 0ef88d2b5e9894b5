using System.Net;
using System.Text;
using P2p.Core;
using P2p.Core.Identity;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc.Tests.Recovery;

namespace P2p.Transport.WebRtc.Tests.Identity;

/// <summary>
/// The real WebRTC stack on 127.0.0.1 and the real signaling server, with a malicious signaling double in front of one
/// member (<see cref="MaliciousSignaling"/>): what each attack achieves with identity keys off, and that identity keys
/// detect and refuse it (docs/threat-model.md).
/// </summary>
[TestFixture]
public class MaliciousSignalingTests : RecoveryTestBase
{
    private const string ForgedFingerprint = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

    [Test]
    [CancelAfter(60_000)]
    public async Task Without_identity_a_false_sender_id_is_accepted_silently(CancellationToken ct)
    {
        await using var world = await World.StartAsync(Logging, identity: false, ct);
        await world.ImpersonateAsync(ct);

        // Bob's link "alice" is now the attacker's connection: it reports alice connected and delivers the attacker's words as hers.
        await world.Bob.UntilAsync(() => world.Bob.Received.Any(r => r.StartsWith(world.Alice.Id + ":mallory", StringComparison.Ordinal)) ? true : (bool?)null,
            "the attacker's broadcast, attributed to alice", Generous, ct);
        Assert.That(world.Signaling.SenderIdsForged, Is.GreaterThan(0));
        Assert.That(world.Bob.Group.GetMember(world.Alice.Id)!.Identity, Is.Null, "nothing to tell the impostor apart");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task With_identity_a_false_sender_id_is_refused_as_a_bad_signature(CancellationToken ct)
    {
        await using var world = await World.StartAsync(Logging, identity: true, ct);
        Assert.That(world.Bob.Group.GetMember(world.Alice.Id)!.Identity?.Name, Is.EqualTo("alice"));
        await world.ImpersonateAsync(ct);

        await world.Bob.UntilAsync(
            () => world.Bob.Group.GetMember(world.Alice.Id)!.LastError is IdentityException { Reason: IdentityFailureReason.BadSignature } ? true : (bool?)null,
            "bob to refuse the impostor", Generous, ct);
        Assert.That(world.Bob.Group.GetMember(world.Alice.Id)!.LastError!.Message, Does.Contain("bad signature"));
        Assert.That(world.Bob.Received.Where(r => r.Contains("mallory", StringComparison.Ordinal)), Is.Empty, "nothing of the impostor was delivered");
        Assert.That(world.Signaling.SenderIdsForged, Is.GreaterThan(0));
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(60_000)]
    public async Task A_rewritten_fingerprint_without_a_dtls_man_in_the_middle_only_breaks_the_connection(bool identity, CancellationToken ct)
    {
        // The signaling server swaps alice's fingerprint in the answer bob receives. Bob's DTLS then refuses alice's real certificate:
        // the connection fails in both modes. Reading the traffic would need the server to terminate DTLS on both sides with its own
        // certificates, which only identity keys detect (the transcripts disagree; see IdentityLinkTests in P2p.Core.Tests).
        await using var world = await World.StartAsync(Logging, identity, ct, forgeFingerprints: true);
        await world.Bob.UntilAsync(
            () => world.Bob.States.Any(s => s.Peer == world.Alice.Id && s.State == PeerState.Failed) ? true : (bool?)null,
            "bob's connection to alice to fail", Generous, ct);
        Assert.That(world.Bob.States.Where(s => s.Peer == world.Alice.Id).Select(s => s.State), Has.No.Member(PeerState.Connected));
        Assert.That(world.Bob.Group.GetMember(world.Alice.Id)!.LastError, Is.Not.InstanceOf<IdentityException>(), "DTLS refused it before any identity frame");
        Assert.That(world.Signaling.FingerprintsRewritten, Is.GreaterThan(0));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Without_identity_a_dtls_man_in_the_middle_reads_every_message_undetected(CancellationToken ct)
    {
        await using var world = await World.StartAsync(Logging, identity: false, ct, manInTheMiddle: true);
        await world.Alice.Group.BroadcastAsync(Encoding.UTF8.GetBytes("secret"), ct);
        await world.Bob.UntilAsync(() => world.Bob.Received.Contains(world.Alice.Id + ":secret") ? true : (bool?)null, "bob to get alice's message", Generous, ct);
        Assert.That(world.Mitm!.Intercepted, Is.GreaterThan(0));
        Assert.That(world.Mitm.Seen.Any(m => Encoding.UTF8.GetString(m).Contains("secret", StringComparison.Ordinal)), Is.True, "the attacker read it in clear");
        Assert.That(world.Bob.Group.GetMember(world.Alice.Id)!.State, Is.EqualTo(PeerState.Connected));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task With_identity_a_dtls_man_in_the_middle_is_refused_as_a_bad_signature_on_both_sides(CancellationToken ct)
    {
        await using var world = await World.StartAsync(Logging, identity: true, ct, manInTheMiddle: true);
        foreach (var (member, peer) in new[] { (world.Bob, world.Alice), (world.Alice, world.Bob) })
        {
            await member.UntilAsync(
                () => member.Group.GetMember(peer.Id)!.LastError is IdentityException { Reason: IdentityFailureReason.BadSignature } ? true : (bool?)null,
                "the man in the middle to be refused", Generous, ct);
        }

        Assert.That(world.Bob.States.Where(s => s.Peer == world.Alice.Id).Select(s => s.State), Has.No.Member(PeerState.Connected));
        Assert.That(world.Alice.States.Where(s => s.Peer == world.Bob.Id).Select(s => s.State), Has.No.Member(PeerState.Connected));
        Assert.That(world.Mitm!.Intercepted, Is.GreaterThan(0));
    }

    /// <summary>Alice creates a group, bob joins behind the malicious double; mallory, a real client, can join later.</summary>
    private sealed class World : IAsyncDisposable
    {
        private readonly Microsoft.Extensions.Logging.ILoggerFactory _logging;
        private readonly bool _identity;
        private readonly List<IdentityKey> _keys = [];
        private EmbeddedSignalingServer _server = null!;

        private World(Microsoft.Extensions.Logging.ILoggerFactory logging, bool identity)
        {
            _logging = logging;
            _identity = identity;
        }

        public MeshMember Alice { get; } = new(null, System.Diagnostics.Stopwatch.StartNew());

        public MeshMember Bob { get; } = new(null, System.Diagnostics.Stopwatch.StartNew());

        public MeshMember Mallory { get; } = new(null, System.Diagnostics.Stopwatch.StartNew());

        public MaliciousSignaling Signaling { get; private set; } = null!;

        public DtlsManInTheMiddle? Mitm { get; private set; }

        public static async Task<World> StartAsync(Microsoft.Extensions.Logging.ILoggerFactory logging, bool identity, CancellationToken ct, bool forgeFingerprints = false, bool manInTheMiddle = false)
        {
            var world = new World(logging, identity);
            world._server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions());
            var alice = await world.ConnectAsync(ct);
            var aliceGroup = await Group.CreateAsync(alice, world.Transport(), GroupCapability.All, world.Options(world.Alice, "alice"), world.Service, ct);
            world.Alice.Attach(aliceGroup, alice);

            var bob = await world.ConnectAsync(ct);
            world.Signaling = new MaliciousSignaling(bob) { ForgedFingerprint = forgeFingerprints ? ForgedFingerprint : null };
            if (manInTheMiddle)
            {
                await bob.InitAsync(ct);
                world.Mitm = new DtlsManInTheMiddle(world.Signaling, aliceGroup.Id, aliceGroup.LocalMember.Id, logging);
            }
            var bobGroup = await Group.JoinAsync(world.Signaling, world.Transport(), aliceGroup.Id, world.Options(world.Bob, "bob"), world.Service, ct);
            world.Bob.Attach(bobGroup, bob);
            if (!forgeFingerprints && !(manInTheMiddle && identity))
            {
                using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
                connected.CancelAfter(Generous);
                await Task.WhenAll(aliceGroup.WhenAllConnectedAsync(connected.Token), bobGroup.WhenAllConnectedAsync(connected.Token));
            }

            return world;
        }

        /// <summary>
        /// Mallory joins; the server hides her from bob and stamps her relays to bob with alice's id, so that her offer replaces
        /// bob's connection to alice; once connected she broadcasts "mallory".
        /// </summary>
        public async Task ImpersonateAsync(CancellationToken ct)
        {
            var mallory = await ConnectAsync(ct);
            Signaling.Hidden = await mallory.InitAsync(ct);
            Signaling.Impersonated = Alice.Id;
            var group = await Group.JoinAsync(mallory, Transport(), Alice.Group.Id, Options(Mallory, "mallory"), Service, ct);
            Mallory.Attach(group, mallory);
            _ = Task.Run(
                async () =>
                {
                    while (!ct.IsCancellationRequested)
                    {
                        if (group.GetMember(Bob.Id)?.State == PeerState.Connected)
                        {
                            await group.BroadcastAsync(Encoding.UTF8.GetBytes("mallory"), ct);
                            return;
                        }

                        await Mallory.UntilAsync(() => group.GetMember(Bob.Id)?.State == PeerState.Connected ? true : (bool?)null, "mallory connected to bob", Generous, ct);
                    }
                },
                ct);
        }

        private P2pOptions Service => new() { LoggerFactory = _logging, ConnectTimeout = TimeSpan.FromSeconds(5) };

        private WebRtcPeerConnectionFactory Transport() =>
            new(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback), LoggerFactory = _logging });

        private async Task<WebSocketSignalingChannel> ConnectAsync(CancellationToken ct) =>
            await WebSocketSignalingChannel.ConnectAsync(_server.Uri, cancellationToken: ct);

        private GroupOptions Options(MeshMember member, string name)
        {
            var options = member.Options();
            if (_identity)
            {
                var key = IdentityKey.Create();
                _keys.Add(key);
                options.Identity = new IdentityOptions { Key = key, Name = name };
            }

            return options;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var member in new[] { Mallory, Bob, Alice })
            {
                try
                {
                    if (member.Group is { } group)
                    {
                        await group.DisposeAsync();
                    }
                }
                catch (Exception ex)
                {
                    TestContext.Out.WriteLine($"disposing a member: {ex.Message}");
                }
            }

            if (Mitm is not null)
            {
                await Mitm.DisposeAsync();
            }

            await _server.DisposeAsync();
            foreach (var key in _keys)
            {
                key.Dispose();
            }
        }
    }
}
