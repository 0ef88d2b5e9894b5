using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// ICE restart of whole peer connections behind two NATs on the virtual network, every timer on the virtual clock: the
/// consent timers of <see cref="RtcConfiguration.Ice"/>, a restart while the path is cut (then restored), and a restart
/// after the host's address changed. DTLS and SCTP are kept; what was sent while the path was dead arrives.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class PeerConnectionIceRestartThroughNetworkTests
{
    private const int Messages = 20;

    /// <summary>The group layer's consent timing: a check every second, Disconnected after 2.5 s of silence.</summary>
    private static IceAgentOptions GroupConsent(IceAgentOptions o) => o with
    {
        ConsentInterval = TimeSpan.FromSeconds(1),
        ConsentDisconnectedTimeout = TimeSpan.FromSeconds(2.5),
    };

    [Test]
    public async Task Consent_timers_from_RtcConfiguration_report_disconnected_within_2_5_s_of_a_cut()
    {
        await using var pair = new PeerConnectionNetPair(seed: 501, ice: GroupConsent);
        await pair.ConnectAsync();

        var cutAt = pair.Net.Now;
        pair.RouterA.Link.Cut();
        Assert.That(pair.Drive(() => pair.Offerer.IceConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True);
        var after = pair.Net.Now - cutAt;
        TestContext.Out.WriteLine($"Disconnected {after.TotalMilliseconds:0} ms after the cut");
        Assert.That(after, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(2.5)));
        Assert.That(pair.Drive(() => pair.Offerer.ConnectionState == RtcPeerConnectionState.Disconnected, TimeSpan.FromSeconds(1), letThreadsRun: true), Is.True, "the connection state follows");
    }

    [Test]
    public async Task A_restart_the_peer_starts_over_a_dead_path_is_still_reported_disconnected_in_time()
    {
        await using var pair = new PeerConnectionNetPair(seed: 504, ice: GroupConsent);
        await pair.ConnectAsync();

        // The answerer has not noticed the cut yet when the offerer's restart reaches it (signaling works): it
        // restarts too, and must not report the dead path Connected until the restart ends.
        var cutAt = pair.Net.Now;
        pair.RouterA.Link.Cut();
        pair.Offerer.RestartIce();
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        await pair.Answerer.SetRemoteDescriptionAsync(pair.Offerer.LocalDescription!);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        await pair.Offerer.SetRemoteDescriptionAsync(pair.Answerer.LocalDescription!);

        Assert.That(pair.Drive(() => pair.Answerer.IceConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True, "the restarting answerer reports the dead path");
        Assert.That(pair.Net.Now - cutAt, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(2.6)));
        Assert.That(pair.Drive(() => pair.Offerer.IceConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True, "and so does the offerer");
        Assert.That(pair.Net.Now - cutAt, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(2.6)));
    }

    [Test]
    public async Task Restart_while_the_path_is_cut_delivers_everything_sent_during_the_cut()
    {
        await using var pair = new PeerConnectionNetPair(seed: 502, ice: GroupConsent);
        await pair.ConnectAsync();
        var before = pair.Offerer.SelectedCandidatePair!;
        var (up, down) = Collect(pair);

        pair.RouterA.Link.Cut();
        Send(pair);
        Assert.That(pair.Drive(() => pair.Offerer.IceConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(pair.Drive(() => pair.Offerer.ConnectionState == RtcPeerConnectionState.Disconnected, TimeSpan.FromMilliseconds(200), letThreadsRun: true), Is.True);

        // Restart while cut: the new gathering's STUN request goes unanswered until the link comes back.
        pair.Offerer.RestartIce();
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        pair.Drive(() => false, TimeSpan.FromSeconds(1));
        Assert.That(pair.Offerer.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Disconnected), "Disconnected until a new pair is selected");
        pair.RouterA.Link.Restore();

        var answeredAt = await AnswerAsync(pair);
        var recovered = pair.Drive(() => up.Count == Messages && down.Count == Messages && pair.Ready, TimeSpan.FromSeconds(30), letThreadsRun: true);
        TestContext.Out.WriteLine($"answer applied → everything delivered in {(pair.Net.Now - answeredAt).TotalMilliseconds:0} ms virtual; {pair.Net.Counters}");
        Assert.Multiple(() =>
        {
            Assert.That(recovered, Is.True, $"up {up.Count}, down {down.Count}, offerer {pair.Offerer.ConnectionState}, answerer {pair.Answerer.ConnectionState}");
            Assert.That(up, Is.EqualTo(Expected("up")), "none lost, in order");
            Assert.That(down, Is.EqualTo(Expected("down")), "none lost, in order");
            Assert.That(pair.Offerer.SelectedCandidatePair!.Local.Port, Is.Not.EqualTo(before.Local.Port), "a new pair of the new generation");
            Assert.That(pair.Channel.ReadyState, Is.EqualTo(RtcDataChannelState.Open));
        });
    }

    [Test]
    public async Task Restart_after_the_host_address_changed_recovers_the_connection_and_its_data()
    {
        await using var pair = new PeerConnectionNetPair(seed: 503, ice: GroupConsent);
        await pair.ConnectAsync();
        var (up, down) = Collect(pair);
        var oldAddress = pair.HostA.Address;

        var newAddress = pair.HostA.ChangeAddress(oldAddress);
        Send(pair);
        Assert.That(pair.Drive(() => pair.Offerer.IceConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True);
        var disconnectedAt = pair.Net.Now;

        pair.Offerer.RestartIce();
        await pair.Offerer.SetLocalDescriptionAsync(await pair.Offerer.CreateOfferAsync());
        Assert.That(pair.Drive(() => pair.Offerer.IceGatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10)), Is.True);
        var answeredAt = await AnswerAsync(pair);
        var recovered = pair.Drive(() => up.Count == Messages && down.Count == Messages && pair.Ready, TimeSpan.FromSeconds(30), letThreadsRun: true);
        TestContext.Out.WriteLine(
            $"address {oldAddress} → {newAddress}; restart (offer gathered) → everything delivered in {(pair.Net.Now - disconnectedAt).TotalMilliseconds:0} ms virtual, "
            + $"{(pair.Net.Now - answeredAt).TotalMilliseconds:0} ms after the answer; {pair.Net.Counters}");
        Assert.Multiple(() =>
        {
            Assert.That(recovered, Is.True, $"up {up.Count}, down {down.Count}, offerer {pair.Offerer.ConnectionState}");
            Assert.That(up, Is.EqualTo(Expected("up")));
            Assert.That(down, Is.EqualTo(Expected("down")));
            Assert.That(pair.Offerer.SelectedCandidatePair!.Local.RelatedAddress ?? pair.Offerer.SelectedCandidatePair.Local.Address, Is.EqualTo(newAddress.ToString()).Or.Not.EqualTo(oldAddress.ToString()));
            Assert.That(pair.Offerer.SctpMetrics!.DataChunksRetransmitted, Is.Positive, "what was lost on the dead path was retransmitted");
        });
    }

    /// <summary>The answerer takes the offerer's (gathered) restart offer and answers; returns when the answer is applied.</summary>
    private static async Task<TimeSpan> AnswerAsync(PeerConnectionNetPair pair)
    {
        Assert.That(pair.Drive(() => pair.Offerer.IceGatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10)), Is.True, "the offerer gathers");
        await pair.Answerer.SetRemoteDescriptionAsync(pair.Offerer.LocalDescription!);
        await pair.Answerer.SetLocalDescriptionAsync(await pair.Answerer.CreateAnswerAsync());
        Assert.That(pair.Drive(() => pair.Answerer.IceGatheringState == IceGatheringState.Complete, TimeSpan.FromSeconds(10)), Is.True, "the answerer gathers");
        await pair.Offerer.SetRemoteDescriptionAsync(pair.Answerer.LocalDescription!);
        return pair.Net.Now;
    }

    private static (List<string> Up, List<string> Down) Collect(PeerConnectionNetPair pair)
    {
        var up = new List<string>();
        var down = new List<string>();
        pair.RemoteChannel!.MessageReceived += (_, e) =>
        {
            lock (up)
            {
                up.Add(e.Text);
            }
        };
        pair.Channel.MessageReceived += (_, e) =>
        {
            lock (down)
            {
                down.Add(e.Text);
            }
        };
        return (up, down);
    }

    private static void Send(PeerConnectionNetPair pair)
    {
        for (var i = 0; i < Messages; i++)
        {
            pair.Channel.Send($"up {i}");
            pair.RemoteChannel!.Send($"down {i}");
        }
    }

    private static IEnumerable<string> Expected(string prefix) => Enumerable.Range(0, Messages).Select(i => $"{prefix} {i}");
}
