using System.Text;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Integration;

/// <summary>Real signaling server, WebSocket signaling clients, in-memory transport.</summary>
[CancelAfter(30_000)]
public class MeshFormationTests
{
    [TestCase(2)]
    [TestCase(5)]
    [TestCase(12)]
    public async Task Members_form_a_full_mesh_and_every_broadcast_arrives_exactly_once(int count)
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(count);

        Assert.That(mesh.Network.OpenConnectionCount, Is.EqualTo(count * (count - 1)), "one connection per pair, both ends");
        foreach (var member in members)
        {
            var result = await member.Group.BroadcastAsync(Encoding.UTF8.GetBytes($"hello from {member.Id}"));
            Assert.That(result.AllDelivered, Is.True);
            Assert.That(result.Delivered, Has.Count.EqualTo(count - 1));
        }

        foreach (var member in members)
        {
            await member.Changes.UntilAsync(() => member.Broadcasts.Count >= count - 1, $"{member.Id} to receive {count - 1} broadcasts");
        }

        // A final unicast round on the same ordered channels: any duplicate sent before it would have arrived by now.
        foreach (var member in members)
        {
            foreach (var other in members.Where(o => o != member))
            {
                await member.Group.UnicastAsync(other.Id, "sync"u8.ToArray());
            }
        }

        foreach (var member in members)
        {
            var expected = members.Where(o => o != member).Select(o => (o.Id, $"hello from {o.Id}")).OrderBy(x => x.Id).ToArray();
            var received = member.Broadcasts.Select(b => (b.From, Encoding.UTF8.GetString(b.Data))).OrderBy(x => x.From).ToArray();
            Assert.That(received, Is.EqualTo(expected), $"{member.Id} got each other member's broadcast exactly once");
        }
    }

    [Test]
    public async Task Unicast_replies_reach_the_caller()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(3);
        var reply = await members[1].Group.UnicastAsync(members[2].Id, "ping"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{members[2].Id}:ping"));
        var peer = members[0].Group.GetMember(members[1].Id)!;
        reply = await members[0].Group.UnicastAsync(peer, "pong"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{members[1].Id}:pong"));
    }

    [Test]
    public async Task Concurrent_unicasts_do_not_cross_replies()
    {
        const int perTarget = 10; // below MaxConcurrentRequests (16): every request reaches a handler at once
        await using var mesh = await TestMesh.StartAsync();
        var arrived = new List<TaskCompletionSource<string>>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var members = await mesh.FormAsync(3, configure: o => o.RequestHandler = async (from, data, ct) =>
        {
            // Hold every request until all have arrived, then answer them in reverse order.
            var mine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (arrived)
            {
                arrived.Add(mine);
                if (arrived.Count == 2 * perTarget)
                {
                    all.SetResult();
                }
            }

            await all.Task.WaitAsync(ct);
            return Encoding.UTF8.GetBytes("re:" + Encoding.UTF8.GetString(data.Span));
        });
        var caller = members[0];
        var calls = members[1..].SelectMany(target => Enumerable.Range(0, perTarget).Select(async i =>
        {
            var request = $"{target.Id}#{i}";
            var reply = await caller.Group.UnicastAsync(target.Id, Encoding.UTF8.GetBytes(request));
            return (request, reply: Encoding.UTF8.GetString(reply.Span));
        })).ToArray();

        var results = await Task.WhenAll(calls);
        Assert.That(results, Has.All.Matches<(string Request, string Reply)>(r => r.Reply == "re:" + r.Request));
    }

    [Test]
    public async Task Late_joiners_connect_to_every_member()
    {
        await using var mesh = await TestMesh.StartAsync();
        var first = await mesh.FormAsync(4);
        var late = await mesh.JoinAsync(first[0].Group.Id);
        var later = await mesh.JoinAsync(first[0].Group.Id);
        TestMember[] all = [.. first, late, later];
        await TestMesh.WaitForFullMeshAsync(all);

        var result = await later.Group.BroadcastAsync("welcome"u8.ToArray());
        Assert.That(result.Delivered.Select(p => p.Id), Is.EquivalentTo(all.Where(m => m != later).Select(m => m.Id)));
        foreach (var member in all.Where(m => m != later))
        {
            await member.Changes.UntilAsync(() => member.Broadcasts.Any(b => b.From == later.Id), $"{member.Id} to hear the late joiner");
        }

        Assert.That(first[0].Events, Does.Contain($"joined {late.Id}"));
        Assert.That(first[0].Events, Does.Contain($"{late.Id} Connected"));
    }

    [Test]
    public async Task A_member_that_leaves_is_removed_and_the_rest_keep_working()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(4);
        var leaver = members[2];
        var leaverId = leaver.Id;
        await leaver.Group.LeaveAsync();
        Assert.That(leaver.Group.IsClosed, Is.True);
        var rest = members.Where(m => m != leaver).ToArray();
        foreach (var member in rest)
        {
            await member.Changes.UntilAsync(() => member.Group.GetMember(leaverId) is null, $"{member.Id} to see {leaverId} leave");
            Assert.That(member.Events, Does.Contain($"left {leaverId}"));
        }

        await TestMesh.WaitForFullMeshAsync(rest);
        var result = await rest[0].Group.BroadcastAsync("still here"u8.ToArray());
        Assert.That(result.Delivered, Has.Count.EqualTo(2));
        Assert.That(result.AllDelivered, Is.True);
        var reply = await rest[2].Group.UnicastAsync(rest[1].Id, "x"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{rest[1].Id}:x"));
        Assert.That(() => leaver.Group.BroadcastAsync("gone"u8.ToArray()), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.GroupClosed));
    }

    [Test]
    public async Task A_member_that_crashes_is_removed_and_the_rest_keep_working()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(5);
        var crashed = members[1];
        var crashedId = crashed.Id;
        crashed.Crash();
        var rest = members.Where(m => m != crashed).ToArray();
        foreach (var member in rest)
        {
            await member.Changes.UntilAsync(() => member.Group.GetMember(crashedId) is null, $"{member.Id} to see {crashedId} gone");
        }

        await TestMesh.WaitForFullMeshAsync(rest);
        foreach (var member in rest)
        {
            var result = await member.Group.BroadcastAsync(Encoding.UTF8.GetBytes("after crash " + member.Id));
            Assert.That(result.Delivered, Has.Count.EqualTo(rest.Length - 1));
        }

        foreach (var member in rest)
        {
            await member.Changes.UntilAsync(
                () => member.Broadcasts.Count(b => Encoding.UTF8.GetString(b.Data).StartsWith("after crash", StringComparison.Ordinal)) == rest.Length - 1,
                $"{member.Id} to hear the others after the crash");
        }
    }

    [Test]
    public async Task A_failed_connection_is_reported_and_retried_until_it_works()
    {
        await using var mesh = await TestMesh.StartAsync();
        var owner = await mesh.CreateAsync();
        var failuresLeft = 2;
        mesh.Network.Fault = c => c.Role == Transport.PeerConnectionRole.Offerer && Interlocked.Decrement(ref failuresLeft) >= 0
            ? InMemoryFault.Fail
            : InMemoryFault.None;
        var joiner = await mesh.JoinAsync(owner.Group.Id);
        await TestMesh.WaitForFullMeshAsync([owner, joiner]);
        Assert.That(joiner.Events.Where(e => e.StartsWith(owner.Id, StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            $"{owner.Id} Failed", $"{owner.Id} Connecting", $"{owner.Id} Failed", $"{owner.Id} Connecting", $"{owner.Id} Connected",
        }).Or.EqualTo(new[]
        {
            // the first Connecting may precede the subscription
            $"{owner.Id} Connecting", $"{owner.Id} Failed", $"{owner.Id} Connecting", $"{owner.Id} Failed", $"{owner.Id} Connecting", $"{owner.Id} Connected",
        }));
        Assert.That(mesh.Network.Connections.Count(c => c.Context.LocalUserId == joiner.Id), Is.EqualTo(3));
    }

    [Test]
    public async Task An_unreachable_member_is_reported_failed_not_hung_and_broadcasts_say_who()
    {
        await using var mesh = await TestMesh.StartAsync();
        var owner = await mesh.CreateAsync();
        var a = await mesh.JoinAsync(owner.Group.Id);
        await TestMesh.WaitForFullMeshAsync([owner, a]);
        mesh.Network.Fault = c => c.LocalUserId == owner.Id || c.RemoteUserId == owner.Id ? InMemoryFault.Fail : InMemoryFault.None;
        var b = await mesh.JoinAsync(owner.Group.Id, o => o.Relaying.Enabled = false); // a could relay otherwise (RelayedMemberTests)
        await b.Changes.UntilAsync(() => b.Group.GetMember(owner.Id)?.State == PeerState.Failed, "the owner to be reported failed");
        await b.Changes.UntilAsync(() => b.Group.GetMember(a.Id)?.State == PeerState.Connected, "a to be connected");
        Assert.That(b.Group.GetMember(owner.Id)!.LastError, Is.Not.Null);

        var result = await b.Group.BroadcastAsync("partial"u8.ToArray());
        Assert.That(result.Delivered.Select(p => p.Id), Is.EqualTo(new[] { a.Id }));
        Assert.That(result.Failed.Select(f => f.Peer.Id), Is.EqualTo(new[] { owner.Id }));
        Assert.That(result.Failed[0].Error, Is.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.NotConnected));
        Assert.That(() => b.Group.UnicastAsync(owner.Id, "x"u8.ToArray()), Throws.TypeOf<GroupException>());

        // It is retried while it stays in the group: once the fault clears, it connects.
        mesh.Network.Fault = null;
        await TestMesh.WaitForFullMeshAsync([owner, a, b]);
    }
}
