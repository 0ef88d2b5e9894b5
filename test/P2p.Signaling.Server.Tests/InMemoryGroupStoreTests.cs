using P2p.Signaling.Server.Groups;

namespace P2p.Signaling.Server.Tests;

public class InMemoryGroupStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Test]
    public async Task Create_makes_the_owner_the_first_member()
    {
        var store = new InMemoryGroupStore();
        var id = await store.CreateAsync("owner", 6, None);
        var group = await store.GetAsync(id, None);
        Assert.That(group, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(id, Does.Match("^[0-9a-f]{32}$"));
            Assert.That(group!.Owner, Is.EqualTo("owner"));
            Assert.That(group.Capability, Is.EqualTo(6));
            Assert.That(group.Members, Is.EqualTo(new[] { "owner" }));
        });
    }

    [Test]
    public async Task Join_and_leave_report_who_to_notify()
    {
        var store = new InMemoryGroupStore();
        var id = await store.CreateAsync("a", 15, None);
        var join = await store.JoinAsync(id, "b", None);
        Assert.That(join.Status, Is.EqualTo(GroupOperationStatus.Done));
        Assert.That(join.OtherMembers, Is.EqualTo(new[] { "a" }));
        Assert.That((await store.JoinAsync(id, "b", None)).Status, Is.EqualTo(GroupOperationStatus.Unchanged));
        Assert.That((await store.LeaveAsync(id, "c", None)).Status, Is.EqualTo(GroupOperationStatus.NotMember));
        var leave = await store.LeaveAsync(id, "a", None);
        Assert.That(leave.OtherMembers, Is.EqualTo(new[] { "b" }));
        Assert.That(leave.GroupRemoved, Is.False);
        var last = await store.LeaveAsync(id, "b", None);
        Assert.That(last.GroupRemoved, Is.True);
        Assert.That(store.Count, Is.Zero);
        Assert.That((await store.JoinAsync(id, "a", None)).Status, Is.EqualTo(GroupOperationStatus.GroupNotFound));
    }

    [Test]
    public async Task Relay_checks_need_both_members()
    {
        var store = new InMemoryGroupStore();
        var id = await store.CreateAsync("a", 15, None);
        await store.JoinAsync(id, "b", None);
        Assert.Multiple(async () =>
        {
            Assert.That(await store.CheckRelayAsync(id, "a", "b", None), Is.EqualTo(RelayRouteStatus.Allowed));
            Assert.That(await store.CheckRelayAsync(id, "x", "b", None), Is.EqualTo(RelayRouteStatus.SenderNotMember));
            Assert.That(await store.CheckRelayAsync(id, "a", "x", None), Is.EqualTo(RelayRouteStatus.TargetNotMember));
            Assert.That(await store.CheckRelayAsync("nope", "a", "b", None), Is.EqualTo(RelayRouteStatus.GroupNotFound));
        });
    }

    [Test]
    public async Task Concurrent_joins_and_leaves_stay_consistent()
    {
        var store = new InMemoryGroupStore();
        var id = await store.CreateAsync("owner", 15, None);
        var users = Enumerable.Range(0, 64).Select(i => "u" + i).ToArray();
        await Parallel.ForEachAsync(users, async (u, ct) =>
        {
            await store.JoinAsync(id, u, ct);
            if (int.Parse(u[1..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0)
            {
                await store.LeaveAsync(id, u, ct);
            }
        });
        var group = await store.GetAsync(id, None);
        var expected = new[] { "owner" }.Concat(users.Where((_, i) => i % 2 == 1));
        Assert.That(group!.Members, Is.EquivalentTo(expected));
        Assert.That(group.Members, Is.Unique);
    }

    [Test]
    public async Task A_join_racing_the_last_leave_either_joins_a_live_group_or_finds_none()
    {
        for (var round = 0; round < 200; round++)
        {
            var store = new InMemoryGroupStore();
            var id = await store.CreateAsync("a", 15, None);
            var leave = Task.Run(async () => await store.LeaveAsync(id, "a", None));
            var join = Task.Run(async () => await store.JoinAsync(id, "b", None));
            var (left, joined) = (await leave, await join);
            if (joined.Status == GroupOperationStatus.Done)
            {
                // b joined before a left: the group must still exist with b in it.
                var group = await store.GetAsync(id, None);
                Assert.That(group?.Members, Is.EqualTo(new[] { "b" }), $"round {round}");
                Assert.That(left.GroupRemoved, Is.False);
            }
            else
            {
                Assert.That(joined.Status, Is.EqualTo(GroupOperationStatus.GroupNotFound));
                Assert.That(left.GroupRemoved, Is.True);
                Assert.That(store.Count, Is.Zero);
            }
        }
    }
}
