using System.Collections.Concurrent;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>
/// ICE restart (RFC 8445 §9) of two agents behind NATs on the virtual network, in virtual time: new credentials and
/// sockets, data on the old pair until the new one is selected, old-generation candidates ignored, recovery from
/// Disconnected and from a change of the host's address.
/// </summary>
[Parallelizable(ParallelScope.All)]
public class IceRestartThroughNatTests
{
    private static readonly byte[] Dtls = [23, 1, 2, 3]; // first byte 20–63: data, not STUN (RFC 7983)

    /// <summary>Short consent timers (as the group layer uses them) and a short STUN server wait.</summary>
    private static IceAgentOptions Fast(IceAgentOptions o) => o with
    {
        ConsentInterval = TimeSpan.FromSeconds(1),
        ConsentDisconnectedTimeout = TimeSpan.FromSeconds(2.5),
        StunServerTimeout = TimeSpan.FromSeconds(1),
    };

    [Test]
    public async Task Restart_selects_a_new_pair_on_new_sockets_with_new_credentials()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 11, tweak: Fast);
        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(10));
        Assert.That(pair.BothConnected, Is.True);
        var before = (A: pair.A.SelectedPair!, B: pair.B.SelectedPair!, UfragA: pair.A.LocalUfrag, UfragB: pair.B.LocalUfrag);

        Restart(pair.A);
        Restart(pair.B);
        Assert.Multiple(() =>
        {
            Assert.That(pair.A.IsRestarting, Is.True);
            Assert.That(pair.A.Generation, Is.EqualTo(1));
            Assert.That(pair.A.ConnectionState, Is.EqualTo(IceConnectionState.Connected).Or.EqualTo(IceConnectionState.Completed), "the state stays while restarting");
            Assert.That(pair.A.GatheringState, Is.EqualTo(IceGatheringState.New));
        });

        var restartedAt = pair.Net.Now;
        pair.GatherAndExchange();
        Assert.That(pair.Net.AdvanceUntil(() => !pair.A.IsRestarting && !pair.B.IsRestarting, TimeSpan.FromSeconds(10)), Is.True, "a new pair is selected on both sides");
        TestContext.Out.WriteLine($"restart → new pair in {(pair.Net.Now - restartedAt).TotalMilliseconds:0} ms virtual (gathering with a STUN server included)");

        Assert.Multiple(() =>
        {
            Assert.That(pair.A.LocalUfrag, Is.Not.EqualTo(before.UfragA));
            Assert.That(pair.B.LocalUfrag, Is.Not.EqualTo(before.UfragB));
            Assert.That(pair.A.SelectedPair!.Local.Port, Is.Not.EqualTo(before.A.Local.Port), "the new generation has new sockets");
            Assert.That(pair.A.GetLocalCandidates().Where(c => c.Type == IceCandidateType.Host).Select(c => c.Ufrag), Is.All.EqualTo(pair.A.LocalUfrag));
            Assert.That(pair.A.GetLocalCandidates().Where(c => c.Type == IceCandidateType.Host).Select(c => c.Generation), Is.All.EqualTo(1));
            Assert.That(pair.BothConnected, Is.True);
        });

        // The data path moved: it still carries data both ways.
        var received = new ConcurrentQueue<int>();
        pair.B.Transport.SetReceiveHandler(d => received.Enqueue(d.Length));
        pair.A.Transport.Send(Dtls);
        Assert.That(pair.Net.AdvanceUntil(() => !received.IsEmpty, TimeSpan.FromSeconds(1)), Is.True);
    }

    [Test]
    public async Task Data_keeps_flowing_on_the_previous_pair_until_the_new_one_is_selected()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 12, tweak: Fast);
        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(10));
        var atB = 0;
        var atA = 0;
        pair.B.Transport.SetReceiveHandler(_ => Interlocked.Increment(ref atB));
        pair.A.Transport.SetReceiveHandler(_ => Interlocked.Increment(ref atA));

        Restart(pair.A);
        Restart(pair.B);
        pair.A.StartGathering();
        pair.B.StartGathering();
        for (var i = 0; i < 10; i++)
        {
            pair.A.Transport.Send(Dtls);
            pair.B.Transport.Send(Dtls);
            pair.Net.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Multiple(() =>
        {
            Assert.That(Volatile.Read(ref atB), Is.EqualTo(10), "A → B on the old pair while restarting");
            Assert.That(Volatile.Read(ref atA), Is.EqualTo(10), "B → A on the old pair while restarting");
            Assert.That(pair.A.ConnectionState, Is.Not.EqualTo(IceConnectionState.Disconnected), "consent is not judged while restarting");
        });
    }

    [Test]
    public async Task Candidates_of_the_previous_generation_are_ignored()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 13, tweak: Fast);
        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(10));
        var oldOfB = pair.Signalled(pair.B).ToArray();
        Assert.That(oldOfB.Select(c => c.Ufrag), Is.All.EqualTo(pair.B.LocalUfrag), "candidates name their generation's ufrag");

        Restart(pair.A);
        Restart(pair.B);

        // Late candidates of B's previous generation, before and after B's new credentials reach A.
        foreach (var c in oldOfB)
        {
            pair.A.AddRemoteCandidate(c.ToString());
        }

        Assert.That(pair.A.GetRemoteCandidates(), Is.Empty, "before the new credentials");
        pair.GatherAndExchange();
        foreach (var c in oldOfB)
        {
            pair.A.AddRemoteCandidate(c.ToString());
        }

        Assert.Multiple(() =>
        {
            Assert.That(pair.A.GetRemoteCandidates().Select(c => c.Ufrag), Has.None.EqualTo(oldOfB[0].Ufrag), "after the new credentials");
            Assert.That(pair.Net.AdvanceUntil(() => !pair.A.IsRestarting && !pair.B.IsRestarting, TimeSpan.FromSeconds(10)), Is.True, "the new checks are not disturbed");
        });
    }

    [Test]
    public async Task Restart_from_disconnected_recovers_and_the_state_goes_straight_back_to_connected()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 14, tweak: Fast);
        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(10));
        var afterDisconnect = new ConcurrentQueue<IceConnectionState>();
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disconnected = false;
        pair.A.ConnectionStateChanged += (_, s) =>
        {
            if (disconnected)
            {
                afterDisconnect.Enqueue(s);
                if (s == IceConnectionState.Connected)
                {
                    reconnected.TrySetResult();
                }
            }

            disconnected |= s == IceConnectionState.Disconnected;
        };

        var cutAt = pair.Net.Now;
        pair.RouterA.Link.Cut();
        Assert.That(pair.Net.AdvanceUntil(() => pair.A.ConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True);
        var disconnectedAfter = pair.Net.Now - cutAt;
        Assert.That(disconnectedAfter, Is.LessThanOrEqualTo(TimeSpan.FromSeconds(2.5)), "ConsentInterval 1 s + ConsentDisconnectedTimeout 2.5 s");

        pair.RouterA.Link.Restore();
        Restart(pair.A);
        Restart(pair.B);
        var restartedAt = pair.Net.Now;
        pair.GatherAndExchange();
        Assert.That(pair.A.ConnectionState, Is.EqualTo(IceConnectionState.Disconnected).Or.EqualTo(IceConnectionState.Connected), "no Checking while restarting");
        Assert.That(pair.Net.AdvanceUntil(() => !pair.A.IsRestarting && !pair.B.IsRestarting && pair.BothConnected, TimeSpan.FromSeconds(10)), Is.True);
        TestContext.Out.WriteLine($"disconnected {disconnectedAfter.TotalMilliseconds:0} ms after the cut; restart → connected in {(pair.Net.Now - restartedAt).TotalMilliseconds:0} ms virtual");
        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(5)); // states are raised on the agent's event thread
        Assert.That(afterDisconnect, Is.EqualTo(new[] { IceConnectionState.Connected }), "Disconnected → Connected, no Checking or Failed in between");
    }

    [Test]
    public async Task Restart_while_checking_connects_with_the_new_generation()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 17, tweak: Fast);
        pair.GatherAndExchange();
        Assert.That(pair.A.ConnectionState, Is.EqualTo(IceConnectionState.Checking));
        Assert.That(pair.A.SelectedPair, Is.Null);

        Restart(pair.A);
        Restart(pair.B);
        pair.GatherAndExchange();
        Assert.That(pair.Net.AdvanceUntil(() => pair.BothConnected, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(pair.A.SelectedPair!.Local.Ufrag ?? pair.A.LocalUfrag, Is.EqualTo(pair.A.LocalUfrag));
        Assert.That(pair.A.IsRestarting, Is.False);
    }

    [Test]
    public async Task Restart_picks_up_a_changed_host_address()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 15, tweak: Fast);
        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(10));
        var oldAddress = pair.HostA.Address;

        var newAddress = pair.HostA.ChangeAddress(oldAddress);
        Assert.That(pair.Net.AdvanceUntil(() => pair.A.ConnectionState == IceConnectionState.Disconnected, TimeSpan.FromSeconds(5)), Is.True, "the old path is dead");

        Restart(pair.A);
        Restart(pair.B);
        var restartedAt = pair.Net.Now;
        pair.GatherAndExchange();
        Assert.That(pair.Net.AdvanceUntil(() => !pair.A.IsRestarting && !pair.B.IsRestarting && pair.BothConnected, TimeSpan.FromSeconds(10)), Is.True);
        TestContext.Out.WriteLine($"address {oldAddress} → {newAddress}; restart → connected in {(pair.Net.Now - restartedAt).TotalMilliseconds:0} ms virtual");
        var host = pair.A.GetLocalCandidates().Single(c => c.Type == IceCandidateType.Host);
        Assert.Multiple(() =>
        {
            Assert.That(host.Address, Is.EqualTo(newAddress.ToString()));
            Assert.That(pair.A.ConnectionState, Is.EqualTo(IceConnectionState.Connected).Or.EqualTo(IceConnectionState.Completed));
        });

        var atB = 0;
        pair.B.Transport.SetReceiveHandler(_ => Interlocked.Increment(ref atB));
        pair.A.Transport.Send(Dtls);
        Assert.That(pair.Net.AdvanceUntil(() => Volatile.Read(ref atB) == 1, TimeSpan.FromSeconds(1)), Is.True);
    }

    [Test]
    public async Task Restart_is_refused_after_ice_failed_and_needs_new_credentials()
    {
        await using var pair = new IceNatPair(NatBehavior.PortRestrictedCone, NatBehavior.RestrictedCone, seed: 16, tweak: o => Fast(o) with { ConsentFailureTimeout = TimeSpan.FromSeconds(4) });
        pair.GatherAndExchange();
        pair.Run(TimeSpan.FromSeconds(10));
        Assert.That(() => pair.A.Restart(pair.A.LocalUfrag, IceCredentials.NewPassword()), Throws.ArgumentException, "the ufrag must change");

        pair.RouterA.Link.Cut();
        Assert.That(pair.Net.AdvanceUntil(() => pair.A.ConnectionState == IceConnectionState.Failed, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(() => Restart(pair.A), Throws.InvalidOperationException);
    }

    private static void Restart(IceAgent agent) => agent.Restart(IceCredentials.NewUfrag(), IceCredentials.NewPassword());
}
