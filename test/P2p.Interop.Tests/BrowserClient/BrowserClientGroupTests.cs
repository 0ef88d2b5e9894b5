using System.Security.Cryptography;
using System.Text.Json;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// Browser pages (p2p.js over Chromium's RTCPeerConnection) forming groups through the real signaling
/// server: the mesh, broadcast, unicast, fragmentation, errors, capability, leaving and late joiners.
/// </summary>
[TestFixture]
[NonParallelizable]
public class BrowserClientGroupTests : BrowserClientTestBase
{
    [Test]
    public async Task Three_pages_form_a_full_mesh_the_later_joiner_offers_broadcasts_arrive_once_unicasts_are_answered_every_way()
    {
        var pages = await FormGroupAsync(3);
        var ids = pages.Select(p => p.Id).ToArray();

        // Every pair connected, and each page sees the same owner and capability.
        for (var i = 0; i < 3; i++)
        {
            var info = await pages[i].CallAsync("info");
            Assert.That(MemberIds(info), Is.EquivalentTo(ids.Where((_, j) => j != i)));
            Assert.That(info.GetProperty("ownerId").GetString(), Is.EqualTo(ids[0]));
            Assert.That(info.GetProperty("capability").GetInt32(), Is.EqualTo(15));
            Assert.That(info.GetProperty("localId").GetString(), Is.EqualTo(ids[i]));
        }

        // Who offered: the member that joined later, to every earlier member.
        var links = await Task.WhenAll(pages.Select(p => p.CallAsync("links")));
        Assert.Multiple(() =>
        {
            Assert.That(links[0].GetProperty(ids[1]).GetProperty("role").GetString(), Is.EqualTo("answerer"));
            Assert.That(links[0].GetProperty(ids[2]).GetProperty("role").GetString(), Is.EqualTo("answerer"));
            Assert.That(links[1].GetProperty(ids[0]).GetProperty("role").GetString(), Is.EqualTo("offerer"));
            Assert.That(links[1].GetProperty(ids[2]).GetProperty("role").GetString(), Is.EqualTo("answerer"));
            Assert.That(links[2].GetProperty(ids[0]).GetProperty("role").GetString(), Is.EqualTo("offerer"));
            Assert.That(links[2].GetProperty(ids[1]).GetProperty("role").GetString(), Is.EqualTo("offerer"));
        });

        // A broadcast from each member.
        for (var i = 0; i < 3; i++)
        {
            var result = await pages[i].CallAsync("broadcastText", $"hello from {i}");
            Assert.That(result.GetProperty("delivered").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(ids.Where((_, j) => j != i)));
            Assert.That(result.GetProperty("allDelivered").GetBoolean(), Is.True);
        }

        // Unicast request -> reply in all six directions. The channel of a pair is ordered, so once a reply
        // came back every broadcast sent before the request on that channel has been received.
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                if (i != j)
                {
                    var answer = await pages[i].CallAsync("unicastText", ids[j], $"ping {i}->{j}", WaitMs);
                    Assert.That(answer.GetProperty("reply").GetString(), Is.EqualTo($"echo:ping {i}->{j}"), answer.GetRawText());
                }
            }
        }

        for (var i = 0; i < 3; i++)
        {
            var received = (await pages[i].CallAsync("waitReceived", 2, WaitMs)).EnumerateArray()
                .Select(r => (From: r.GetProperty("from").GetString(), Text: r.GetProperty("text").GetString()))
                .ToArray();
            var expected = Enumerable.Range(0, 3).Where(j => j != i).Select(j => (From: ids[j], Text: $"hello from {j}"));
            Assert.That(received, Is.EquivalentTo(expected), $"page {i} received each other member's broadcast exactly once");
        }

        AssertNoPageErrors(pages);
    }

    [Test]
    public async Task A_one_mebibyte_message_is_split_into_frames_and_arrives_intact_as_broadcast_and_as_request_and_reply()
    {
        var pages = await FormGroupAsync(2);
        const int size = 1 << 20;
        var expected = Convert.ToHexStringLower(SHA256.HashData(Pattern(size, 7)));

        // The remote (Chromium) advertises a=max-message-size:262144; frames are capped at 64 KiB, so 1 MiB takes 17 frames.
        var links = await pages[0].CallAsync("links");
        Assert.That(links.GetProperty(pages[1].Id).GetProperty("frameSize").GetInt32(), Is.EqualTo(64 * 1024));

        var sent = await pages[0].CallAsync("broadcastPattern", size, 7);
        Assert.That(sent.GetProperty("delivered").EnumerateArray().Single().GetString(), Is.EqualTo(pages[1].Id));
        var received = (await pages[1].CallAsync("waitReceived", 1, WaitMs)).EnumerateArray().Single();
        Assert.That(received.GetProperty("length").GetInt32(), Is.EqualTo(size));
        Assert.That(received.GetProperty("sha256").GetString(), Is.EqualTo(expected));

        // The same size as a request, echoed back by the other side's handler: both directions split.
        var reply = await pages[1].CallAsync("unicastPattern", pages[0].Id, size, 7);
        Assert.That(reply.GetProperty("length").GetInt32(), Is.EqualTo(size));
        Assert.That(reply.GetProperty("sha256").GetString(), Is.EqualTo(expected));
        AssertNoPageErrors(pages);
    }

    [Test]
    public async Task A_handler_error_comes_back_as_an_error_reply_with_its_code_and_message_and_an_unanswered_request_times_out()
    {
        var pages = await FormGroupAsync(2);
        var (a, b) = (pages[0], pages[1]);

        await b.CallAsync("setRequestMode", "throw");
        var thrown = (await a.CallAsync("unicastText", b.Id, "coffee?", WaitMs)).GetProperty("error");
        Assert.Multiple(() =>
        {
            Assert.That(thrown.GetProperty("name").GetString(), Is.EqualTo("GroupError"));
            Assert.That(thrown.GetProperty("code").GetInt32(), Is.EqualTo(2), "HandlerFailed");
            Assert.That(thrown.GetProperty("isRemote").GetBoolean(), Is.True);
            Assert.That(thrown.GetProperty("remoteMemberId").GetString(), Is.EqualTo(b.Id));
            Assert.That(thrown.GetProperty("remoteMessage").GetString(), Is.EqualTo($"no coffee for {a.Id[..8]}"));
            Assert.That(thrown.GetProperty("message").GetString(), Does.Contain($"no coffee for {a.Id[..8]}"));
        });

        // A GroupError thrown by the handler keeps its wire code.
        await b.CallAsync("setRequestMode", "unavailable");
        var chosen = (await a.CallAsync("unicastText", b.Id, "lunch?", WaitMs)).GetProperty("error");
        Assert.That(chosen.GetProperty("code").GetInt32(), Is.EqualTo(5), "Unavailable");
        Assert.That(chosen.GetProperty("remoteMessage").GetString(), Is.EqualTo("closed for lunch"));

        // A handler that never answers: the caller's request timeout.
        await b.CallAsync("setRequestMode", "hang");
        var timedOut = (await a.CallAsync("unicastText", b.Id, "hello?", 300)).GetProperty("error");
        Assert.That(timedOut.GetProperty("code").GetInt32(), Is.EqualTo(100), "Timeout");
        Assert.That(timedOut.GetProperty("isRemote").GetBoolean(), Is.False);
        Assert.That(timedOut.GetProperty("message").GetString(), Does.Contain("No reply from member " + b.Id));

        // No handler at all: NoHandler.
        await b.CallAsync("removeRequestHandler");
        var none = (await a.CallAsync("unicastText", b.Id, "anyone?", WaitMs)).GetProperty("error");
        Assert.That(none.GetProperty("code").GetInt32(), Is.EqualTo(1), "NoHandler");

        // The link survives errors: the other direction still works.
        var back = await b.CallAsync("unicastText", a.Id, "still there?", WaitMs);
        Assert.That(back.GetProperty("reply").GetString(), Is.EqualTo("echo:still there?"));
        AssertNoPageErrors(pages);
    }

    [Test]
    public async Task Capability_is_enforced_at_the_sender_and_at_the_receiver_against_a_modified_peer()
    {
        // BroadcastOwner | UnicastOwner: only the owner broadcasts; unicast only to or from the owner.
        var pages = await FormGroupAsync(3, capability: 1 | 4);
        var (owner, b, c) = (pages[0], pages[1], pages[2]);

        var broadcast = (await b.CallAsync("broadcastText", "may I?")).GetProperty("error");
        Assert.That(broadcast.GetProperty("code").GetInt32(), Is.EqualTo(3), "Forbidden");
        Assert.That(broadcast.GetProperty("isRemote").GetBoolean(), Is.False);
        Assert.That(broadcast.GetProperty("message").GetString(), Does.Contain("only the owner"));

        var sideways = (await b.CallAsync("unicastText", c.Id, "psst", WaitMs)).GetProperty("error");
        Assert.That(sideways.GetProperty("code").GetInt32(), Is.EqualTo(3));
        Assert.That(sideways.GetProperty("isRemote").GetBoolean(), Is.False);

        Assert.That((await b.CallAsync("unicastText", owner.Id, "to the owner", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:to the owner"));
        Assert.That((await owner.CallAsync("unicastText", c.Id, "from the owner", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:from the owner"));
        Assert.That((await owner.CallAsync("broadcastText", "owner speaking")).GetProperty("allDelivered").GetBoolean(), Is.True);
        await b.CallAsync("waitReceived", 1, WaitMs);
        await c.CallAsync("waitReceived", 1, WaitMs);

        // A modified peer skips its own checks: the receivers drop its broadcast and refuse its request.
        await b.CallAsync("bypassSenderChecks");
        var sneaky = await b.CallAsync("broadcastText", "sneaky broadcast");
        Assert.That(sneaky.GetProperty("delivered").GetArrayLength(), Is.EqualTo(2), "the channels took it");
        var refused = (await b.CallAsync("unicastText", c.Id, "sneaky request", WaitMs)).GetProperty("error");
        Assert.That(refused.GetProperty("code").GetInt32(), Is.EqualTo(3));
        Assert.That(refused.GetProperty("isRemote").GetBoolean(), Is.True, "refused by the receiver");
        Assert.That((await b.CallAsync("unicastText", owner.Id, "barrier", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:barrier"));

        // The requests above came after the broadcast on the same ordered channels: it was seen and dropped.
        Assert.That((await owner.CallAsync("received")).EnumerateArray().Select(r => r.GetProperty("from").GetString()), Is.Empty);
        Assert.That((await c.CallAsync("received")).EnumerateArray().Select(r => r.GetProperty("text").GetString()), Is.EqualTo(new[] { "owner speaking" }));
        Assert.That((await c.CallAsync("requests")).EnumerateArray().Select(r => r.GetProperty("from").GetString()), Is.EqualTo(new[] { owner.Id }), "c's handler never saw b's request");
        AssertNoPageErrors(pages);
    }

    [Test]
    public async Task Closing_a_page_makes_the_others_report_it_left_and_they_keep_working()
    {
        var pages = await FormGroupAsync(3);
        var (a, b, c) = (pages[0], pages[1], pages[2]);
        var gone = c.Id;

        await c.CloseAsync();
        await a.CallAsync("waitEvent", "memberleft", gone, WaitMs);
        await b.CallAsync("waitEvent", "memberleft", gone, WaitMs);
        await a.CallAsync("waitConnected", 1, WaitMs);
        await b.CallAsync("waitConnected", 1, WaitMs);

        var left = (await a.CallAsync("events")).EnumerateArray()
            .Where(e => e.GetProperty("member").GetString() == gone && e.GetProperty("type").GetString() == "memberstatechanged")
            .Select(e => e.GetProperty("state").GetString()).Last();
        Assert.That(left, Is.EqualTo("left"));

        var result = await a.CallAsync("broadcastText", "after c left");
        Assert.That(result.GetProperty("delivered").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { b.Id }));
        Assert.That(result.GetProperty("failed").GetArrayLength(), Is.Zero);
        Assert.That((await b.CallAsync("unicastText", a.Id, "still here", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:still here"));
        var received = (await b.CallAsync("waitReceived", 1, WaitMs)).EnumerateArray().Single();
        Assert.That(received.GetProperty("text").GetString(), Is.EqualTo("after c left"));

        var gonePeer = (await a.CallAsync("unicastText", gone, "hello?", WaitMs)).GetProperty("error");
        Assert.That(gonePeer.GetProperty("code").GetInt32(), Is.EqualTo(102), "NotMember");
        AssertNoPageErrors(a, b);
    }

    [Test]
    public async Task A_late_joiner_offers_to_every_member_and_connects_to_all()
    {
        var pages = await FormGroupAsync(3);
        var late = await OpenAsync("late");
        var groupId = (await pages[0].CallAsync("info")).GetProperty("id").GetString();

        await late.CallAsync("join", groupId);
        var info = await late.CallAsync("waitConnected", 3, WaitMs);
        Assert.That(MemberIds(info), Is.EquivalentTo(pages.Select(p => p.Id)));
        var links = await late.CallAsync("links");
        foreach (var page in pages)
        {
            Assert.That(links.GetProperty(page.Id).GetProperty("role").GetString(), Is.EqualTo("offerer"));
            await page.CallAsync("waitEvent", "memberjoined", late.Id, WaitMs);
            await page.CallAsync("waitConnected", 3, WaitMs);
            var theirs = await page.CallAsync("links");
            Assert.That(theirs.GetProperty(late.Id).GetProperty("role").GetString(), Is.EqualTo("answerer"));
        }

        Assert.That((await late.CallAsync("broadcastText", "hi all")).GetProperty("allDelivered").GetBoolean(), Is.True);
        foreach (var page in pages)
        {
            var received = (await page.CallAsync("waitReceived", 1, WaitMs)).EnumerateArray().Single();
            Assert.That(received.GetProperty("from").GetString(), Is.EqualTo(late.Id));
            Assert.That((await page.CallAsync("unicastText", late.Id, "welcome", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:welcome"));
        }

        AssertNoPageErrors([.. pages, late]);
    }

    [Test]
    public async Task Leaving_tells_the_others_then_calls_fail_with_group_closed_and_an_unknown_group_cannot_be_joined()
    {
        var pages = await FormGroupAsync(2);
        var (a, b) = (pages[0], pages[1]);

        var left = await b.CallAsync("leave");
        Assert.That(left.GetProperty("isClosed").GetBoolean(), Is.True);
        await a.CallAsync("waitEvent", "memberleft", b.Id, WaitMs);
        Assert.That(MemberIds(await a.CallAsync("info")), Is.Empty);

        var after = (await b.CallAsync("broadcastText", "too late")).GetProperty("error");
        Assert.That(after.GetProperty("code").GetInt32(), Is.EqualTo(104), "GroupClosed");

        // Joining a group that does not exist fails with the server's -32002 and leaves nothing behind.
        var unknown = await b.CallAsync("tryJoin", new string('0', 32));
        Assert.That(unknown.GetProperty("error").GetProperty("name").GetString(), Is.EqualTo("SignalingError"));
        Assert.That(unknown.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32002));
        Assert.That(unknown.GetProperty("groups").GetInt32(), Is.Zero);
        AssertNoPageErrors(pages);
    }

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
