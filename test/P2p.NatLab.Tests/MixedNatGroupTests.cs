using System.Collections.Concurrent;
using System.Text;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Testing;
using P2p.Testing.NatLab;
using P2p.Transport.WebRtc;
using P2p.WebRtc;

namespace P2p.NatLab.Tests;

/// <summary>
/// A group of four members behind three NAT types, formed through the SDK (P2p.Core over the WebRTC transport, the
/// real signaling server on 127.0.0.1): grace without NAT, alice and carol behind endpoint-independent NATs, dave
/// behind a symmetric one. Every member has the lab's STUN/TURN server. Each of the six links takes the path its
/// NATs allow, and the test checks it from both ends.
/// </summary>
public class MixedNatGroupTests : LabTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(60_000)]
    public async Task Four_members_behind_three_nat_types_form_a_full_mesh_where_only_symmetric_to_cone_links_are_relayed(CancellationToken ct)
    {
        LabHost[] hosts = [Lab.Grace, Lab.Alice, Lab.Carol, Lab.Dave];
        await using var server = await SignalingServer.StartAsync();
        var delivered = new ConcurrentBag<(string To, string From, string Text)>();
        var allDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var members = new List<(LabHost Host, IGroup Group, RecordingTransport Transport)>();
        try
        {
            foreach (var host in hosts)
            {
                var transport = new RecordingTransport(new WebRtcPeerConnectionFactory(new WebRtcTransportOptions
                {
                    IceServers = [new RtcIceServer(Lab.Coturn.StunUrl), Lab.Coturn.IceServer(Lab.Coturn.TurnUdpUrl)],
                    LoggerFactory = Log,
                    Ice = LabPeers.On(host, Log).Ice,
                }));
                var name = host.Name;
                var options = new GroupOptions
                {
                    MessageHandler = (from, data, _) =>
                    {
                        delivered.Add((name, from.Id, Encoding.UTF8.GetString(data.Span)));
                        if (delivered.Count == hosts.Length * (hosts.Length - 1))
                        {
                            allDelivered.TrySetResult();
                        }

                        return ValueTask.CompletedTask;
                    },
                    RequestHandler = (_, data, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes($"{name} got {Encoding.UTF8.GetString(data.Span)}")),
                };
                var signaling = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct);
                var service = new P2pOptions { LoggerFactory = Log };
                var group = members.Count == 0
                    ? await Group.CreateAsync(signaling, transport, GroupCapability.All, options, service, ct)
                    : await Group.JoinAsync(signaling, transport, members[0].Group.Id, options, service, ct);
                members.Add((host, group, transport));
            }

            using var connected = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connected.CancelAfter(Timeout);
            await Task.WhenAll(members.Select(m => m.Group.WhenAllConnectedAsync(connected.Token)));
            Assert.That(members.Select(m => m.Group.Members.Count), Is.All.EqualTo(hosts.Length - 1), "a full mesh");

            foreach (var (host, group, _) in members)
            {
                var result = await group.BroadcastAsync(Encoding.UTF8.GetBytes($"hello from {host.Name}"), ct);
                Assert.That(result.Failed, Is.Empty, host.Name);
            }

            await allDelivered.Task.WaitAsync(Timeout, ct);
            foreach (var (host, group, _) in members)
            {
                var got = delivered.Where(d => d.To == host.Name).Select(d => d.Text).Order(StringComparer.Ordinal);
                var expected = hosts.Where(h => h != host).Select(h => $"hello from {h.Name}").Order(StringComparer.Ordinal);
                Assert.That(got, Is.EqualTo(expected), $"{host.Name} got every other member's broadcast once");
                foreach (var other in members.Where(m => m.Host != host))
                {
                    var reply = await group.UnicastAsync(other.Group.LocalMember.Id, Encoding.UTF8.GetBytes($"a question from {host.Name}"), ct);
                    Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{other.Host.Name} got a question from {host.Name}"));
                }
            }

            var paths = new List<string>();
            foreach (var (host, group, transport) in members)
            {
                foreach (var other in members.Where(m => m.Host != host))
                {
                    var pair = transport.SelectedPair(other.Group.LocalMember.Id);
                    Assert.That(pair, Is.Not.Null, $"{host.Name} → {other.Host.Name}: no selected pair");
                    paths.Add($"{host.Name} → {other.Host.Name}: {pair}");
                    if (NeedsRelay(host, other.Host))
                    {
                        SelectedPair.AssertRelayed(pair!);
                    }
                    else
                    {
                        SelectedPair.AssertDirect(pair!, host, other.Host);
                    }
                }
            }

            TestContext.Out.WriteLine(string.Join(Environment.NewLine, paths));
        }
        finally
        {
            foreach (var member in members)
            {
                await member.Group.DisposeAsync();
            }
        }
    }

    /// <summary>A symmetric NAT's random per-destination ports meet a cone NAT's filter: no direct path exists.</summary>
    private static bool NeedsRelay(LabHost a, LabHost b) =>
        (a.Lan.Nat, b.Lan.Nat) is (NatType.AddressAndPortDependent, NatType.EndpointIndependent) or (NatType.EndpointIndependent, NatType.AddressAndPortDependent);
}
