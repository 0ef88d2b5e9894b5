using System.Security.Cryptography;
using System.Text;
using P2p.Core;
using P2p.Core.Identity;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// Relayed members (docs/protocol.md, "Relayed members (extension)") between Chromium pages (p2p.js) and .NET members
/// (P2p.Core): two members that cannot connect directly talk through a third connected to both.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedGroupRelayTests : BrowserClientTestBase
{
    private const int SixteenMiB = 16 * 1024 * 1024;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The .NET members' connect timeout: a member that waits for an offer that never comes reports the other failed after it.</summary>
    private static readonly TimeSpan DotNetConnectTimeout = TimeSpan.FromSeconds(4);

    /// <summary>How long a page waits for a relayed state: a failed direct attempt (the connect timeout below) and a probe.</summary>
    private const int RelayWaitMs = 30_000;

    /// <summary>The pages' connect timeout: a page that waits for an offer that never comes reports the member failed after it.</summary>
    private const int PageConnectTimeoutMs = 4_000;

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(180_000)]
    public async Task Three_pages_where_two_cannot_connect_talk_through_the_third(bool identities, CancellationToken ct)
    {
        var a = await OpenPageAsync("relay-a", identities, "a");
        var relay = await OpenPageAsync("relay-b", identities, "b");
        var c = await OpenPageAsync("relay-c", identities, "c");
        await a.CallAsync("blockDirect", (object)new[] { c.Id });
        await c.CallAsync("blockDirect", (object)new[] { a.Id });

        var group = await a.CallAsync("create", 15);
        var groupId = group.GetProperty("id").GetString()!;
        await relay.CallAsync("join", groupId);
        await c.CallAsync("join", groupId);

        var cAtA = await a.CallAsync("waitRelayed", c.Id, relay.Id, RelayWaitMs);
        var aAtC = await c.CallAsync("waitRelayed", a.Id, relay.Id, RelayWaitMs);
        await relay.CallAsync("waitConnected", 2, WaitMs);
        await a.CallAsync("waitReachable", 2, WaitMs);
        await c.CallAsync("waitReachable", 2, WaitMs);
        if (identities)
        {
            Assert.That(cAtA.GetProperty("identity").GetProperty("name").GetString(), Is.EqualTo("c"), "a verified c's routed identity proof");
            Assert.That(aAtC.GetProperty("identity").GetProperty("name").GetString(), Is.EqualTo("a"), "c verified a's routed identity proof");
        }

        // Broadcasts both ways: the relay gets them directly, the far end through the relay.
        var fromA = await a.CallAsync("broadcastText", "from a");
        Assert.That(fromA.GetProperty("allDelivered").GetBoolean(), Is.True, fromA.GetRawText());
        var fromC = await c.CallAsync("broadcastText", "from c");
        Assert.That(fromC.GetProperty("allDelivered").GetBoolean(), Is.True, fromC.GetRawText());
        Assert.That(Texts(await c.CallAsync("waitReceived", 1, WaitMs)), Is.EqualTo(new[] { $"{a.Id}:from a" }));
        Assert.That(Texts(await a.CallAsync("waitReceived", 1, WaitMs)), Is.EqualTo(new[] { $"{c.Id}:from c" }));
        Assert.That(Texts(await relay.CallAsync("waitReceived", 2, WaitMs)), Is.EquivalentTo(new[] { $"{a.Id}:from a", $"{c.Id}:from c" }));

        // Unicast request → reply both ways.
        Assert.That((await a.CallAsync("unicastText", c.Id, "hi c", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:hi c"));
        Assert.That((await c.CallAsync("unicastText", a.Id, "hi a", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:hi a"));

        // 16 MiB through the relay, as a request and echoed back as the reply.
        var big = await a.CallAsync("unicastPattern", c.Id, SixteenMiB, 5);
        Assert.That(big.GetProperty("length").GetInt32(), Is.EqualTo(SixteenMiB));
        Assert.That(big.GetProperty("sha256").GetString(), Is.EqualTo(Sha256(Pattern(SixteenMiB, 5))));

        await Task.Delay(200, ct); // a duplicate would arrive right behind; give it the chance to show
        Assert.That((await c.CallAsync("received")).GetArrayLength(), Is.EqualTo(1), "each broadcast arrives once");
        Assert.That((await c.CallAsync("requests")).GetArrayLength(), Is.EqualTo(2), "each request arrives once");
        Assert.That((await a.CallAsync("member", c.Id)).GetProperty("relayedVia").GetString(), Is.EqualTo(relay.Id));
        AssertNoPageErrors(a, relay, c);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task When_the_relay_page_leaves_during_a_16_MiB_message_it_arrives_once_through_the_other_relay(CancellationToken ct)
    {
        var a = await OpenPageAsync("leave-a", identity: true, "a");
        var r1 = await OpenPageAsync("leave-r1", identity: true, "r1");
        var r2 = await OpenPageAsync("leave-r2", identity: true, "r2");
        var d = await OpenPageAsync("leave-d", identity: true, "d");
        await a.CallAsync("blockDirect", (object)new[] { d.Id });
        await d.CallAsync("blockDirect", (object)new[] { a.Id });
        var groupId = (await a.CallAsync("create", 15)).GetProperty("id").GetString()!;
        await r1.CallAsync("join", groupId);
        await r2.CallAsync("join", groupId);
        await d.CallAsync("join", groupId);
        var via = (await a.CallAsync("waitRelayed", d.Id, null, RelayWaitMs)).GetProperty("relayedVia").GetString()!;
        await d.CallAsync("waitRelayed", a.Id, null, RelayWaitMs);
        var (first, second) = via == r1.Id ? (r1, r2) : (r2, r1);

        // A 16 MiB request from a to d; once a part of it went through the relay, that relay leaves.
        var transfer = a.CallAsync("unicastPattern", d.Id, SixteenMiB, 9);
        await d.CallAsync("waitRelayedProgress", a.Id, 1 << 20, WaitMs);
        await first.CloseAsync();

        var result = await transfer.WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.That(result.GetProperty("length").GetInt32(), Is.EqualTo(SixteenMiB));
        Assert.That(result.GetProperty("sha256").GetString(), Is.EqualTo(Sha256(Pattern(SixteenMiB, 9))));
        Assert.That((await a.CallAsync("member", d.Id)).GetProperty("relayedVia").GetString(), Is.EqualTo(second.Id), "a switched to the other relay");
        await Task.Delay(200, ct); // a duplicate would arrive right behind; give it the chance to show
        var requests = await d.CallAsync("requests");
        Assert.That(requests.EnumerateArray().Select(r => (r.GetProperty("from").GetString(), r.GetProperty("length").GetInt32())),
            Is.EqualTo(new[] { (a.Id, SixteenMiB) }), "the request arrived exactly once");
        AssertNoPageErrors(a, second, d);
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(180_000)]
    public async Task A_page_relays_for_two_dot_net_members_that_cannot_connect_directly(bool identities, CancellationToken ct)
    {
        using var firstKey = identities ? IdentityKey.Create() : null;
        using var secondKey = identities ? IdentityKey.Create() : null;
        var options = new P2pOptions { ConnectTimeout = DotNetConnectTimeout };
        await using var first = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, IdentityOf(firstKey, "first"), options);
        var page = await OpenPageAsync("relaying-page", identities, "page");
        await page.CallAsync("join", first.Group.Id);
        await using var second = await DotNetMember.CreateAsync(Server.WebSocketUri, first.Group.Id, ct, IdentityOf(secondKey, "second"), options, blocked: [first.Id]);
        first.Transport.Block(second.Id);

        await Task.WhenAll(
            WaitRelayedAsync(first.Group, second.Id, page.Id, ct),
            WaitRelayedAsync(second.Group, first.Id, page.Id, ct)).WaitAsync(Timeout, ct);
        await page.CallAsync("waitConnected", 2, WaitMs);

        // Broadcasts both ways between the .NET members (through the page), and each reaches the page directly.
        await first.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from first"), ct);
        await second.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from second"), ct);
        await first.WaitForBroadcastsAsync(1, ct);
        await second.WaitForBroadcastsAsync(1, ct);
        Assert.That(Texts(await page.CallAsync("waitReceived", 2, WaitMs)), Is.EquivalentTo(new[] { $"{first.Id}:from first", $"{second.Id}:from second" }));

        // Unicast request → reply both ways.
        var reply = await first.Group.UnicastAsync(second.Id, Encoding.UTF8.GetBytes("hi second"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("dotnet got: hi second"));
        reply = await second.Group.UnicastAsync(first.Id, Encoding.UTF8.GetBytes("hi first"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("dotnet got: hi first"));

        // 16 MiB from one to the other (echoed back as the reply), intact.
        var big = RandomNumberGenerator.GetBytes(SixteenMiB);
        var echoed = await first.Group.UnicastAsync(second.Id, big, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.That(Sha256(echoed.ToArray()), Is.EqualTo(Sha256(big)), "16 MiB there and back through the page");
        Assert.That(second.LargestRequest is { } got ? Sha256(got) : null, Is.EqualTo(Sha256(big)));

        await Task.Delay(200, ct); // a duplicate would arrive right behind; give it the chance to show
        Assert.Multiple(() =>
        {
            Assert.That(first.Texts(), Is.EqualTo(new[] { $"{second.Id}:from second" }), "each broadcast arrives once");
            Assert.That(second.Texts(), Is.EqualTo(new[] { $"{first.Id}:from first" }), "each broadcast arrives once");
            Assert.That(second.LargeRequests, Is.EqualTo(1), "the 16 MiB request arrived once");
        });
        AssertNoPageErrors(page);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task A_page_and_a_dot_net_member_that_cannot_connect_directly_talk_through_a_dot_net_relay(CancellationToken ct)
    {
        using var relayKey = IdentityKey.Create();
        using var memberKey = IdentityKey.Create();
        var options = new P2pOptions { ConnectTimeout = DotNetConnectTimeout };
        var page = await OpenPageAsync("far-page", identity: true, "page");
        await using var relay = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, IdentityOf(relayKey, "relay"), options);
        await using var member = await DotNetMember.CreateAsync(Server.WebSocketUri, relay.Group.Id, ct, IdentityOf(memberKey, "member"), options, blocked: [page.Id]);
        await page.CallAsync("blockDirect", (object)new[] { member.Id });
        await page.CallAsync("join", relay.Group.Id);

        var atPage = await page.CallAsync("waitRelayed", member.Id, relay.Id, RelayWaitMs);
        await WaitRelayedAsync(member.Group, page.Id, relay.Id, ct).WaitAsync(Timeout, ct);
        Assert.That(atPage.GetProperty("relayedVia").GetString(), Is.EqualTo(relay.Id));
        Assert.That(atPage.GetProperty("identity").GetProperty("keyId").GetString(), Is.EqualTo(memberKey.KeyId), "the page verified the .NET member's routed identity proof");
        await page.CallAsync("waitReachable", 2, WaitMs);

        // Broadcasts both ways.
        await member.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from dotnet"), ct);
        var fromPage = await page.CallAsync("broadcastText", "from page");
        Assert.That(fromPage.GetProperty("allDelivered").GetBoolean(), Is.True, fromPage.GetRawText());
        await member.WaitForBroadcastsAsync(1, ct);
        await relay.WaitForBroadcastsAsync(2, ct);
        Assert.That(Texts(await page.CallAsync("waitReceived", 1, WaitMs)), Is.EqualTo(new[] { $"{member.Id}:from dotnet" }));
        Assert.That(member.Texts(), Is.EqualTo(new[] { $"{page.Id}:from page" }));

        // Unicast both ways (signed by the origin, verified by the other end: WebCrypto ↔ .NET ECDsa).
        var reply = await member.Group.UnicastAsync(page.Id, Encoding.UTF8.GetBytes("hi page"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:hi page"));
        Assert.That((await page.CallAsync("unicastText", member.Id, "hi dotnet", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("dotnet got: hi dotnet"));
        var big = await page.CallAsync("unicastPattern", member.Id, 1 << 20, 3);
        Assert.That(big.GetProperty("sha256").GetString(), Is.EqualTo(Sha256(Pattern(1 << 20, 3))), "1 MiB page → .NET → page through the .NET relay");
        AssertNoPageErrors(page);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task When_a_direct_link_succeeds_later_a_relayed_page_and_dot_net_member_are_connected_directly_again(CancellationToken ct)
    {
        var options = new P2pOptions { ConnectTimeout = DotNetConnectTimeout, RetryMaxDelay = TimeSpan.FromSeconds(2) };
        var page = await OpenPageAsync("returning-page", identity: false, "");
        await using var relay = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, options: options);
        await using var member = await DotNetMember.CreateAsync(Server.WebSocketUri, relay.Group.Id, ct, options: options, blocked: [page.Id]);
        await page.CallAsync("join", relay.Group.Id);
        await page.CallAsync("waitRelayed", member.Id, relay.Id, RelayWaitMs);
        await WaitRelayedAsync(member.Group, page.Id, relay.Id, ct).WaitAsync(Timeout, ct);

        member.Transport.Unblock(page.Id); // the page's next offer (it retries at most every 2 s) gets through

        await WaitStateAsync(member.Group, page.Id, p => p is { State: PeerState.Connected, RelayedVia: null }, ct).WaitAsync(Timeout, ct);
        var atPage = await page.CallAsync("waitState", member.Id, "connected", WaitMs);
        Assert.That(atPage.TryGetProperty("relayedVia", out var via) ? via.ValueKind : System.Text.Json.JsonValueKind.Null, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        var reply = await member.Group.UnicastAsync(page.Id, Encoding.UTF8.GetBytes("direct again"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:direct again"));
        Assert.That((await page.CallAsync("unicastText", member.Id, "direct too", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("dotnet got: direct too"));
        AssertNoPageErrors(page);
    }

    [TestCase(true)]
    [TestCase(false)]
    [CancelAfter(180_000)]
    public async Task When_the_relay_leaves_during_a_16_MiB_request_from_a_dot_net_member_to_a_page_it_arrives_once_through_the_other_relay(bool pageRelaysFirst, CancellationToken ct)
    {
        var options = new P2pOptions { ConnectTimeout = DotNetConnectTimeout };
        var far = await OpenPageAsync("far-page", identity: false, "");
        var pageRelay = await OpenPageAsync("page-relay", identity: false, "");
        await using var sender = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, options: options, blocked: [far.Id]);
        var groupId = sender.Group.Id;
        DotNetMember? dotNetRelay = null;
        try
        {
            // The first relay joins before the far page (so the route goes through it), the second once the route is up.
            async Task JoinDotNetRelayAsync() => dotNetRelay = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId, ct, options: options);
            if (pageRelaysFirst)
            {
                await pageRelay.CallAsync("join", groupId);
            }
            else
            {
                await JoinDotNetRelayAsync();
            }

            await far.CallAsync("blockDirect", (object)new[] { sender.Id });
            await far.CallAsync("join", groupId);
            var first = pageRelaysFirst ? pageRelay.Id : dotNetRelay!.Id;
            await WaitStateAsync(sender.Group, far.Id, p => p is { State: PeerState.Relayed } && p.RelayedVia == first, ct);
            await far.CallAsync("waitRelayed", sender.Id, first, RelayWaitMs);
            if (pageRelaysFirst)
            {
                await JoinDotNetRelayAsync();
            }
            else
            {
                await pageRelay.CallAsync("join", groupId);
            }

            var second = pageRelaysFirst ? dotNetRelay!.Id : pageRelay.Id;
            await WaitStateAsync(sender.Group, second, p => p is { State: PeerState.Connected }, ct);
            await far.CallAsync("waitState", second, "connected", WaitMs);

            // 16 MiB from the .NET member to the page (echoed back); once a part went through the relay, that relay leaves.
            var big = RandomNumberGenerator.GetBytes(SixteenMiB);
            var transfer = sender.Group.UnicastAsync(far.Id, big, ct);
            await far.CallAsync("waitRelayedProgress", sender.Id, 1 << 20, WaitMs);
            Assert.That(sender.Group.Members.Single(m => m.Id == far.Id).RelayedVia, Is.EqualTo(first));
            if (pageRelaysFirst)
            {
                await pageRelay.CloseAsync();
            }
            else
            {
                await dotNetRelay!.DisposeAsync();
                dotNetRelay = null;
            }

            var echoed = await transfer.WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.That(Sha256(echoed.ToArray()), Is.EqualTo(Sha256(big)), "16 MiB there and back, the relay changed on the way");
            Assert.That(sender.Group.Members.Single(m => m.Id == far.Id).RelayedVia, Is.EqualTo(second), "the sender switched to the other relay");
            Assert.That((await far.CallAsync("member", sender.Id)).GetProperty("relayedVia").GetString(), Is.EqualTo(second), "so did the page");
            await Task.Delay(200, ct); // a duplicate would arrive right behind; give it the chance to show
            var requests = await far.CallAsync("requests");
            Assert.That(requests.EnumerateArray().Select(r => (r.GetProperty("from").GetString(), r.GetProperty("length").GetInt32())),
                Is.EqualTo(new[] { (sender.Id, SixteenMiB) }), "the request arrived exactly once");
            AssertNoPageErrors(far);
        }
        finally
        {
            if (dotNetRelay is not null)
            {
                await dotNetRelay.DisposeAsync();
            }
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_relay_page_that_alters_what_it_forwards_gets_nothing_delivered_either_way(CancellationToken ct)
    {
        using var key = IdentityKey.Create();
        var options = new P2pOptions { ConnectTimeout = DotNetConnectTimeout };
        var far = await OpenPageAsync("far-page", identity: true, "far", requestTimeoutMs: 3_000);
        var relay = await OpenPageAsync("tampering-relay", identity: true, "relay");
        await using var member = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, IdentityOf(key, "dotnet"), options, blocked: [far.Id]);
        await relay.CallAsync("join", member.Group.Id);
        await far.CallAsync("blockDirect", (object)new[] { member.Id });
        await far.CallAsync("join", member.Group.Id);
        await WaitRelayedAsync(member.Group, far.Id, relay.Id, ct);
        await far.CallAsync("waitRelayed", member.Id, relay.Id, RelayWaitMs);

        // The relay now flips a byte of every relayed message it forwards: the origin's signature no longer verifies.
        await relay.CallAsync("tamperForwarded");

        // .NET → page: the page's check (WebCrypto) drops it (and tells the .NET member, which stops using that relay).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        Exception? failure = null;
        try
        {
            await member.Group.UnicastAsync(far.Id, Encoding.UTF8.GetBytes("altered?"), timeout.Token);
        }
        catch (Exception e) when (e is GroupException or OperationCanceledException)
        {
            failure = e;
        }

        // Page → .NET: the .NET member's check drops it (and tells the page, which stops using that relay); the page's request and broadcast are never acknowledged.
        var request = await far.CallAsync("unicastText", member.Id, "altered?", 3_000);
        Assert.That(request.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(100), request.GetRawText()); // Timeout
        var broadcast = await far.CallAsync("broadcastText", "altered too?");
        Assert.That(broadcast.GetProperty("failed").EnumerateArray().Select(f => f.GetProperty("id").GetString()), Does.Contain(member.Id), broadcast.GetRawText());

        TestContext.Out.WriteLine($".NET unicast: {failure?.GetType().Name}: {failure?.Message}");
        Assert.Multiple(async () =>
        {
            Assert.That(failure, Is.Not.Null, "the .NET member's request through the altering relay fails");
            Assert.That(member.Requests, Is.Zero, "nothing altered reached the .NET member's handler");
            Assert.That(member.Texts(), Is.Empty, "nor its message handler");
            Assert.That((await far.CallAsync("requests")).GetArrayLength(), Is.Zero, "nothing altered reached the page's handler");
            Assert.That(await far.CallAsync<string[]>("logs"), Has.Some.Contains("signature does not verify"), "the page dropped an altered message");
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_dot_net_member_that_requires_identity_refuses_a_page_without_a_key_through_the_relay_too(CancellationToken ct)
    {
        using var relayKey = IdentityKey.Create();
        using var memberKey = IdentityKey.Create();
        var options = new P2pOptions { ConnectTimeout = DotNetConnectTimeout };
        var page = await OpenPageAsync("keyless-page", identity: false, "");

        // The relay takes members without a key; the member requires a verified identity (the default with a key).
        await using var relay = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, new IdentityOptions { Key = relayKey, Name = "relay", RequirePeerIdentity = false }, options);
        await using var member = await DotNetMember.CreateAsync(Server.WebSocketUri, relay.Group.Id, ct, IdentityOf(memberKey, "member"), options, blocked: [page.Id]);
        // The relay must reach the member before the page looks for a route through it: a relay not yet connected answers
        // the page's probe with "no route", and the page searches again only 5 s later (a request meanwhile fails at once).
        await Task.WhenAll(relay.Group.WhenAllConnectedAsync(ct), member.Group.WhenAllConnectedAsync(ct)).WaitAsync(Timeout, ct);
        await page.CallAsync("blockDirect", (object)new[] { member.Id });
        await page.CallAsync("join", relay.Group.Id);
        await page.CallAsync("waitState", relay.Id, "connected", WaitMs);
        await page.CallAsync("waitState", member.Id, "failed", RelayWaitMs);

        // The page's probe through the relay is answered with Unreachable "refused": its request fails with IdentityRejected.
        var request = await page.CallAsync("unicastText", member.Id, "let me in", WaitMs);
        TestContext.Out.WriteLine("page: " + request.GetRawText());
        Assert.That(request.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(105), request.GetRawText());
        Assert.That(request.GetProperty("error").GetProperty("reason").GetString(), Is.EqualTo("refused"));

        // And the member never takes the page as relayed (its reply to the member's probe proves no identity).
        GroupException? failure = null;
        try
        {
            await member.Group.UnicastAsync(page.Id, Encoding.UTF8.GetBytes("who are you?"), ct).WaitAsync(Timeout, ct);
        }
        catch (GroupException e)
        {
            failure = e;
        }

        TestContext.Out.WriteLine($".NET: {failure?.GetType().Name}: {failure?.Message}");
        Assert.That(failure, Is.Not.Null);
        Assert.That(member.Group.Members.Single(m => m.Id == page.Id).State, Is.Not.EqualTo(PeerState.Relayed));
        Assert.That((await page.CallAsync("member", member.Id)).GetProperty("state").GetString(), Is.Not.EqualTo("relayed"));
        Assert.That((await page.CallAsync("requests")).GetArrayLength(), Is.Zero);
        Assert.That(member.Requests, Is.Zero);
    }

    private static IdentityOptions? IdentityOf(IdentityKey? key, string name) => key is null ? null : new IdentityOptions { Key = key, Name = name };

    /// <summary>Waits until <paramref name="group"/> reports <paramref name="memberId"/> relayed through <paramref name="via"/>.</summary>
    private static Task WaitRelayedAsync(IGroup group, string memberId, string via, CancellationToken ct) =>
        WaitStateAsync(group, memberId, p => p is { State: PeerState.Relayed } && p.RelayedVia == via, ct);

    /// <summary>Waits until <paramref name="group"/>'s view of <paramref name="memberId"/> matches <paramref name="condition"/>.</summary>
    private static async Task WaitStateAsync(IGroup group, string memberId, Func<IPeer, bool> condition, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (group.Members.FirstOrDefault(m => m.Id == memberId) is { } peer && condition(peer))
            {
                done.TrySetResult();
            }
        }

        void OnChanged(object? sender, PeerStateChangedEventArgs e) => Check();
        group.MemberStateChanged += OnChanged;
        try
        {
            Check();
            await done.Task.WaitAsync(Timeout, ct);
        }
        finally
        {
            group.MemberStateChanged -= OnChanged;
        }
    }

    private async Task<BrowserClientPage> OpenPageAsync(string name, bool identity, string identityName, int? requestTimeoutMs = null)
    {
        var page = await OpenAsync(name, connect: false);
        var options = new Dictionary<string, object?>
        {
            ["connectTimeout"] = PageConnectTimeoutMs,
            ["identity"] = identity ? new { name = identityName, key = "generate" } : null,
            ["requestTimeout"] = requestTimeoutMs,
        };
        await page.ConnectAsync(Server.WebSocketUri, options);
        return page;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static byte[] Pattern(int size, int seed)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }
}
