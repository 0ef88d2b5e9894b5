using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using P2p.Signaling.Abstractions;
using P2p.Signaling.Server.Groups;
using P2p.Signaling.Server.Tests.Support;
using P2p.Signaling.WebSockets;

namespace P2p.Signaling.Server.Tests;

/// <summary>Members per group (-32040) and relays per second (-32041); -32007 and -32008 are in <see cref="RelayTests"/> and <see cref="ErrorTests"/>.</summary>
public class LimitTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static string Result(System.Text.Json.JsonElement response) => response.GetProperty("result").GetString()!;

    [Test]
    public async Task A_join_beyond_MaxMembersPerGroup_gets_minus_32040_and_a_member_rejoining_does_not()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxMembersPerGroup = 2);
        await using var owner = await RawClient.ConnectAsync(server.Uri);
        await using var second = await RawClient.ConnectAsync(server.Uri);
        await using var third = await RawClient.ConnectAsync(server.Uri);
        var group = Result(await owner.CallAsync("create", "[]"));
        Assert.That((await second.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True);

        var full = await third.CallAsync("join", $"[\"{group}\"]");
        Assert.That(full.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32040));
        Assert.That(full.GetProperty("error").GetProperty("message").GetString(), Does.Contain("at most 2 members"));
        Assert.That((await second.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True, "a member re-joining is not refused");

        await second.CallAsync("leave", $"[\"{group}\"]");
        Assert.That((await third.CallAsync("join", $"[\"{group}\"]")).GetProperty("result").GetBoolean(), Is.True, "a place came free");
    }

    [Test]
    public async Task The_dotnet_client_sees_a_full_group_as_SignalingException_GroupFull()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxMembersPerGroup = 1);
        await using var owner = await WebSocketSignalingChannel.ConnectAsync(server.Uri);
        await using var guest = await WebSocketSignalingChannel.ConnectAsync(server.Uri);
        await owner.InitAsync();
        await guest.InitAsync();
        var group = await owner.CreateGroupAsync(null);
        var ex = Assert.ThrowsAsync<SignalingException>(() => guest.JoinGroupAsync(group));
        Assert.That(ex!.Code, Is.EqualTo(SignalingErrorCode.GroupFull));
        Assert.That((int)ex.Code, Is.EqualTo(-32040));
    }

    [Test]
    public async Task The_store_gets_its_limit_from_the_servers_options()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxMembersPerGroup = 7);
        Assert.That(server.Services.GetRequiredService<IGroupStore>(), Is.InstanceOf<InMemoryGroupStore>().With.Property(nameof(InMemoryGroupStore.MaxMembersPerGroup)).EqualTo(7));
        Assert.That(new InMemoryGroupStore().MaxMembersPerGroup, Is.EqualTo(256));
        Assert.That(new InMemoryGroupStore(Options.Create(new SignalingServerOptions { MaxMembersPerGroup = 3 })).MaxMembersPerGroup, Is.EqualTo(3));
    }

    [Test]
    public async Task Concurrent_joins_never_overshoot_the_limit()
    {
        var store = new InMemoryGroupStore(10);
        var id = await store.CreateAsync("owner", 15, None);
        var joins = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () => await store.JoinAsync(id, $"u{i}", None))));
        Assert.That(joins.Count(j => j.Status == GroupOperationStatus.Done), Is.EqualTo(9));
        Assert.That(joins.Count(j => j.Status == GroupOperationStatus.GroupFull), Is.EqualTo(91));
        Assert.That((await store.GetAsync(id, None))!.Members, Has.Count.EqualTo(10));
    }

    [Test]
    public async Task A_full_group_reports_a_member_joining_again_as_Unchanged()
    {
        var store = new InMemoryGroupStore(2);
        var id = await store.CreateAsync("a", 15, None);
        Assert.That((await store.JoinAsync(id, "b", None)).Status, Is.EqualTo(GroupOperationStatus.Done));
        Assert.That((await store.JoinAsync(id, "c", None)).Status, Is.EqualTo(GroupOperationStatus.GroupFull));
        Assert.That((await store.JoinAsync(id, "b", None)).Status, Is.EqualTo(GroupOperationStatus.Unchanged));
        Assert.That((await store.JoinAsync(id, "c", None)).OtherMembers, Is.Empty);
    }

    [Test]
    public async Task Restoring_into_a_full_group_is_GroupFull_and_restoring_a_gone_group_recreates_it()
    {
        var store = new InMemoryGroupStore(2);
        var id = await store.CreateAsync("a", 15, None);
        await store.JoinAsync(id, "b", None);
        Assert.That((await store.RestoreAsync(id, "a", 15, "c", None)).Status, Is.EqualTo(GroupOperationStatus.GroupFull));
        Assert.That((await store.RestoreAsync(id, "a", 15, "b", None)).Status, Is.EqualTo(GroupOperationStatus.Unchanged));
        Assert.That((await store.GetAsync(id, None))!.Members, Is.EqualTo(new[] { "a", "b" }));
        Assert.That((await store.RestoreAsync("0123456789abcdef0123456789abcdef", "x", 15, "c", None)).Status, Is.EqualTo(GroupOperationStatus.Done));
    }

    [Test]
    public async Task Relays_beyond_the_burst_get_minus_32041_until_the_bucket_refills_in_virtual_time()
    {
        var time = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(
            o =>
            {
                o.MaxRelaysPerSecond = 50; // 5 tokens every 100 ms
                o.RelayBurst = 10;
            },
            s => s.AddSingleton<TimeProvider>(time));
        await using var a = await RawClient.ConnectAsync(server.Uri);
        await using var b = await RawClient.ConnectAsync(server.Uri);
        var group = Result(await a.CallAsync("create", "[]"));
        await b.CallAsync("join", $"[\"{group}\"]");

        Assert.That(await RelayAsync(a, b, group, 10), Is.EqualTo(10), "the whole burst passes");
        var limited = await a.CallAsync("relay", $"[\"{group}\",\"{b.UserId}\",\"one too many\"]");
        Assert.That(limited.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32041));
        Assert.That(limited.GetProperty("error").GetProperty("message").GetString(), Does.Contain("50 relays per second"));
        Assert.That(await ForwardedAsync(a, b), Is.False, "a refused relay is not forwarded");

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(await RelayAsync(a, b, group, 6), Is.EqualTo(5), "one period adds MaxRelaysPerSecond / 10");

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.That(await RelayAsync(a, b, group, 11), Is.EqualTo(10), "a long pause refills up to the burst, no more");
        Assert.That((await a.CallAsync("get_members", $"[\"{group}\"]")).TryGetProperty("result", out _), Is.True, "only relays are limited");
    }

    [Test]
    public async Task Each_connection_has_its_own_relay_bucket()
    {
        var time = new FakeTimeProvider();
        await using var server = await TestServer.StartAsync(
            o =>
            {
                o.MaxRelaysPerSecond = 10;
                o.RelayBurst = 2;
            },
            s => s.AddSingleton<TimeProvider>(time));
        await using var a = await RawClient.ConnectAsync(server.Uri);
        await using var b = await RawClient.ConnectAsync(server.Uri);
        var group = Result(await a.CallAsync("create", "[]"));
        await b.CallAsync("join", $"[\"{group}\"]");
        Assert.That(await RelayAsync(a, b, group, 3), Is.EqualTo(2));
        Assert.That(await RelayAsync(b, a, group, 3), Is.EqualTo(2));
    }

    [Test]
    public void The_relay_bucket_takes_up_to_its_size_refills_per_period_and_allocates_nothing()
    {
        using var bucket = new RelayTokenBucket(limit: 10, perPeriod: 4);
        _ = bucket.AttemptAcquire(0); // the shared leases exist before measuring
        var before = GC.GetAllocatedBytesForCurrentThread();
        var taken = 0;
        while (Acquire(bucket))
        {
            taken++;
        }

        bucket.Refill();
        var refilled = 0;
        while (Acquire(bucket))
        {
            refilled++;
        }

        for (var i = 0; i < 10; i++)
        {
            bucket.Refill();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Multiple(() =>
        {
            Assert.That(taken, Is.EqualTo(10));
            Assert.That(refilled, Is.EqualTo(4));
            Assert.That(bucket.Available, Is.EqualTo(10), "refills stop at the bucket's size");
            Assert.That(allocated, Is.Zero);
        });
    }

    [Test]
    public async Task The_relay_bucket_stays_consistent_when_taking_and_refilling_race()
    {
        var bucket = new RelayTokenBucket(limit: 1000, perPeriod: 7);
        var taken = 0;
        var refills = Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                bucket.Refill();
            }
        });
        for (var i = 0; i < 100_000; i++)
        {
            if (bucket.TryTake())
            {
                taken++;
            }
        }

        await refills;
        Assert.That(bucket.Available, Is.InRange(0, 1000));
        Assert.That(taken, Is.LessThanOrEqualTo(1000 + (10_000 * 7)));
        for (var i = 0; i < 200; i++)
        {
            bucket.Refill();
        }

        Assert.That(bucket.Available, Is.EqualTo(1000));
    }

    /// <summary>Sends <paramref name="count"/> relays from <paramref name="from"/> to <paramref name="to"/> one by one (<paramref name="to"/> answers each); returns how many passed before the first -32041.</summary>
    private static async Task<int> RelayAsync(RawClient from, RawClient to, string group, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var call = from.CallAsync("relay", $"[\"{group}\",\"{to.UserId}\",{i}]");
            if (!await ForwardedAsync(from, to))
            {
                Assert.That((await call).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32041));
                return i;
            }

            await to.AnswerAsync(await to.RelayRequestAsync(), "\"result\":true");
            Assert.That((await call).GetProperty("result").GetBoolean(), Is.True);
        }

        return count;
    }

    /// <summary>
    /// Whether the relay <paramref name="from"/> just sent reached <paramref name="to"/>. A connection's messages are handled in
    /// order, so once <paramref name="from"/>'s next call is answered the relay was forwarded or refused; a call of
    /// <paramref name="to"/> made after that is answered after the forwarded relay arrived.
    /// </summary>
    private static async Task<bool> ForwardedAsync(RawClient from, RawClient to)
    {
        await from.CallAsync("init", "[]");
        await to.CallAsync("init", "[]");
        return to.Unclaimed().Any(m => System.Text.Json.JsonElement.Parse(m).TryGetProperty("method", out var method) && method.GetString() == "relay");
    }

    /// <summary>One relay's permit through the System.Threading.RateLimiting API, as the connection takes it.</summary>
    private static bool Acquire(RelayTokenBucket bucket)
    {
        using var lease = bucket.AttemptAcquire();
        return lease.IsAcquired;
    }
}
