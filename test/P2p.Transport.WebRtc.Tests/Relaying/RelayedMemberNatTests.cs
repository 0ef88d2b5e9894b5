using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using P2p.Core;
using P2p.Transport.WebRtc.Tests.Recovery;
using P2p.WebRtc.Testing.Network;

namespace P2p.Transport.WebRtc.Tests.Relaying;

/// <summary>
/// Two members behind symmetric NATs, with no TURN server, can only meet through the public members of the group
/// (docs/concepts.md, "Relayed members"). Real WebRTC stacks (ours) over the virtual network, the real signaling server.
/// </summary>
[TestFixture]
public class RelayedMemberNatTests : RecoveryTestBase
{
    private const int SixteenMiB = 16 * 1024 * 1024;

    [Test]
    [CancelAfter(240_000)]
    public async Task Members_behind_symmetric_NATs_talk_through_a_public_member_and_keep_going_when_it_leaves_mid_transfer(CancellationToken ct)
    {
        var service = new P2pOptions { LoggerFactory = Logging, ConnectTimeout = TimeSpan.FromSeconds(5) };
        await using var mesh = await VirtualMesh.StartAsync(Logging, service);
        var c = await mesh.AddMemberAsync(ct);
        var d = await mesh.AddMemberAsync(ct);
        var a = await mesh.AddMemberAsync(ct, host: mesh.Net.Internet.AddRouter("nat-a", NatBehavior.Symmetric).Inside.AddHost("a"));
        var b = await mesh.AddMemberAsync(ct, host: mesh.Net.Internet.AddRouter("nat-b", NatBehavior.Symmetric).Inside.AddHost("b"));

        await a.WaitForStateAsync(b.Id, PeerState.Relayed, TimeSpan.Zero, Generous, ct);
        await b.WaitForStateAsync(a.Id, PeerState.Relayed, TimeSpan.Zero, Generous, ct);
        await mesh.WhenAllConnectedAsync(Generous, ct);
        var relayId = a.Group.GetMember(b.Id)!.RelayedVia;
        Assert.That(relayId, Is.AnyOf(c.Id, d.Id));
        Assert.That(a.States.Where(s => s.Peer == b.Id).Select(s => s.State), Does.Contain(PeerState.Failed), "the direct attempt failed first (no TURN)");
        Assert.That(a.Group.GetMember(c.Id)!.State, Is.EqualTo(PeerState.Connected), "a reaches the public members directly");

        // Broadcasts both ways and requests both ways.
        await a.Group.BroadcastAsync("from a"u8.ToArray(), ct);
        await b.Group.BroadcastAsync("from b"u8.ToArray(), ct);
        await b.UntilAsync<bool>(() => b.Received.Contains($"{a.Id}:from a") ? true : null, "a's broadcast at b", Generous, ct);
        await a.UntilAsync<bool>(() => a.Received.Contains($"{b.Id}:from b") ? true : null, "b's broadcast at a", Generous, ct);
        Assert.That(Encoding.UTF8.GetString((await a.Group.UnicastAsync(b.Id, "ab"u8.ToArray(), ct)).Span), Is.EqualTo("ab"));
        Assert.That(Encoding.UTF8.GetString((await b.Group.UnicastAsync(a.Id, "ba"u8.ToArray(), ct)).Span), Is.EqualTo("ba"));

        // The relay's cost, measured here against a direct link from the same member (both echo the request).
        var directRtt = await MedianRoundTripAsync(a, c.Id, ct);
        var relayedRtt = await MedianRoundTripAsync(a, b.Id, ct);
        var message = RandomNumberGenerator.GetBytes(SixteenMiB);
        await EchoSecondsAsync(a, c.Id, message.AsMemory(0, 1024 * 1024), ct); // warm-up of both paths
        await EchoSecondsAsync(a, b.Id, message.AsMemory(0, 1024 * 1024), ct);
        var direct = new List<double>();
        var relayed = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            direct.Add(await EchoSecondsAsync(a, c.Id, message, ct));
            relayed.Add(await EchoSecondsAsync(a, b.Id, message, ct));
        }

        var directSeconds = Median(direct);
        var relayedSeconds = Median(relayed);
        TestContext.Out.WriteLine($"round trip (median of 20): direct {directRtt:0.00} ms, relayed {relayedRtt:0.00} ms (+{relayedRtt - directRtt:0.00} ms)");
        TestContext.Out.WriteLine(
            $"16 MiB echo (median of 3): direct {directSeconds:0.00} s ({2 * 16 / directSeconds:0.0} MiB/s), relayed {relayedSeconds:0.00} s ({2 * 16 / relayedSeconds:0.0} MiB/s)");

        // 16 MiB while the relay leaves: it arrives once, through the other relay.
        var relay = mesh.Members.Single(m => m.Id == relayId);
        var other = relay == c ? d : c;
        var answeredBefore = b.RequestsAnswered;
        // The relay falls silent after about 3,000 datagrams of the transfer (cut by the network itself, so however busy
        // the machine, the transfer cannot finish through it), then leaves.
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Net.Counters.WhenDelivered(mesh.Net.Counters.Delivered + 3000, () =>
        {
            relay.VirtualHost.Link.Cut();
            cut.TrySetResult();
        });
        var transfer = a.Group.UnicastAsync(b.Id, message, ct);
        await cut.Task.WaitAsync(Generous, ct);
        Assert.That(transfer.IsCompleted, Is.False, "the relay leaves mid-transfer");
        await relay.Group.LeaveAsync(ct);
        var echo = await transfer;

        Assert.That(echo.Span.SequenceEqual(message), "the 16 MiB message arrived intact and came back");
        Assert.That(b.RequestsAnswered - answeredBefore, Is.EqualTo(1), "delivered exactly once");
        await a.UntilAsync<bool>(() => a.Group.GetMember(b.Id)?.RelayedVia == other.Id ? true : null, "a to use the other relay", Generous, ct);
        await a.Group.BroadcastAsync("after the relay left"u8.ToArray(), ct);
        await b.UntilAsync<bool>(() => b.Received.Contains($"{a.Id}:after the relay left") ? true : null, "the broadcast after the switch", Generous, ct);
    }

    private static async Task<double> MedianRoundTripAsync(MeshMember from, string to, CancellationToken ct)
    {
        var times = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await from.Group.UnicastAsync(to, "rtt"u8.ToArray(), ct);
            if (i > 0)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        return Median(times);
    }

    private static async Task<double> EchoSecondsAsync(MeshMember from, string to, ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var echo = await from.Group.UnicastAsync(to, message, ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Assert.That(echo.Length, Is.EqualTo(message.Length));
        return seconds;
    }
}
