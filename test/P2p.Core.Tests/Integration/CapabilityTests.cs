using System.Text;
using Microsoft.Extensions.Logging;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Integration;

/// <summary>GroupCapability is enforced by the sender and, against a modified peer, by the receiver.</summary>
[CancelAfter(30_000)]
public class CapabilityTests
{
    [Test]
    public async Task Broadcast_owner_lets_only_the_owner_broadcast_and_receivers_drop_a_modified_peers_broadcast()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(3, GroupCapability.BroadcastOwner | GroupCapability.UnicastEveryone);
        var (owner, member, rogue) = (members[0], members[1], members[2]);
        Assert.That(owner.Group.LocalMember.IsOwner, Is.True);
        Assert.That(member.Group.GetMember(owner.Id)!.IsOwner, Is.True);

        var refused = Assert.ThrowsAsync<GroupException>(() => member.Group.BroadcastAsync("nope"u8.ToArray()));
        Assert.That(refused!.Code, Is.EqualTo(GroupErrorCode.Forbidden));
        Assert.That(refused.IsRemote, Is.False);

        var result = await owner.Group.BroadcastAsync("from the owner"u8.ToArray());
        Assert.That(result.AllDelivered, Is.True);

        // The modified peer skips its own check; the receivers must drop the broadcast.
        rogue.MeshGroup!.BypassSenderChecks = true;
        var sent = await rogue.Group.BroadcastAsync("forged"u8.ToArray());
        Assert.That(sent.Delivered, Has.Count.EqualTo(2), "it really went out");

        // A unicast on the same ordered channels proves the forged frame was processed (and dropped) first.
        await rogue.Group.UnicastAsync(owner.Id, "sync"u8.ToArray());
        await rogue.Group.UnicastAsync(member.Id, "sync"u8.ToArray());
        foreach (var receiver in new[] { owner, member })
        {
            await receiver.Changes.UntilAsync(() => receiver.Broadcasts.Any(b => b.From == owner.Id) || receiver == owner, "the owner's broadcast");
            Assert.That(receiver.Broadcasts.Select(b => Encoding.UTF8.GetString(b.Data)), Has.None.EqualTo("forged"));
        }

        Assert.That(mesh.Log.Contains(LogLevel.Warning, $"Dropped a broadcast from member {rogue.Id}"), Is.True);
    }

    [Test]
    public async Task Unicast_owner_allows_only_owner_to_member_and_a_modified_peer_gets_a_forbidden_error_reply()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(3, GroupCapability.UnicastOwner);
        var (owner, a, b) = (members[0], members[1], members[2]);

        Assert.That(Encoding.UTF8.GetString((await owner.Group.UnicastAsync(a.Id, "1"u8.ToArray())).Span), Is.EqualTo($"{a.Id}:1"));
        Assert.That(Encoding.UTF8.GetString((await a.Group.UnicastAsync(owner.Id, "2"u8.ToArray())).Span), Is.EqualTo($"{owner.Id}:2"));

        var refused = Assert.ThrowsAsync<GroupException>(() => a.Group.UnicastAsync(b.Id, "3"u8.ToArray()));
        Assert.That(refused!.Code, Is.EqualTo(GroupErrorCode.Forbidden));
        Assert.That(refused.IsRemote, Is.False);
        Assert.That(() => owner.Group.BroadcastAsync("4"u8.ToArray()), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.Forbidden));

        a.MeshGroup!.BypassSenderChecks = true;
        var remote = Assert.ThrowsAsync<GroupException>(() => a.Group.UnicastAsync(b.Id, "5"u8.ToArray()));
        Assert.That(remote!.Code, Is.EqualTo(GroupErrorCode.Forbidden));
        Assert.That(remote.IsRemote, Is.True);
        Assert.That(remote.RemoteMemberId, Is.EqualTo(b.Id));
        Assert.That(mesh.Log.Contains(LogLevel.Warning, $"Refused a request from member {a.Id}"), Is.True);
    }

    [Test]
    public async Task No_capability_forbids_everything()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(2, GroupCapability.None);
        Assert.That(members[1].Group.Capability, Is.EqualTo(GroupCapability.None));
        Assert.That(() => members[0].Group.BroadcastAsync("x"u8.ToArray()), Throws.TypeOf<GroupException>());
        Assert.That(() => members[0].Group.UnicastAsync(members[1].Id, "x"u8.ToArray()), Throws.TypeOf<GroupException>());
    }

    [Test]
    public async Task When_the_owner_leaves_owner_only_capabilities_allow_nobody()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(3, GroupCapability.BroadcastOwner | GroupCapability.UnicastOwner);
        var owner = members[0];
        var ownerId = owner.Id;
        await owner.Group.LeaveAsync();
        await members[1].Changes.UntilAsync(() => members[1].Group.GetMember(ownerId) is null, "the owner to leave");
        Assert.That(members[1].Group.OwnerId, Is.EqualTo(ownerId), "the server keeps the recorded owner");
        Assert.That(() => members[1].Group.BroadcastAsync("x"u8.ToArray()), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.Forbidden));
        Assert.That(() => members[1].Group.UnicastAsync(members[2].Id, "x"u8.ToArray()), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.Forbidden));

        // A newcomer learns the recorded owner from get_group too.
        var late = await mesh.JoinAsync(owner.Group.Id);
        Assert.That(late.Group.OwnerId, Is.EqualTo(ownerId));
    }
}
