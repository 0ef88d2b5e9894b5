using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using P2p.Core;
using P2p.Interop.Tests.BrowserClient;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// One group of .NET members (P2p.Core over P2p.WebRtc) and Chromium pages (the browser client over
/// the browser's own RTCPeerConnection), through the real signaling server, all on 127.0.0.1.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedGroupTests : BrowserClientTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(120_000)]
    public async Task Two_dot_net_members_and_two_pages_form_six_links_and_talk_every_way(CancellationToken ct)
    {
        await using var first = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct);
        var groupId = first.Group.Id;
        var pageA = await OpenAsync("mixed-a");
        await pageA.CallAsync("join", groupId);
        await using var second = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId, ct);
        var pageB = await OpenAsync("mixed-b");
        await pageB.CallAsync("join", groupId);

        // Every pair connects: 6 links (each member sees the 3 others connected).
        await Task.WhenAll(first.Group.WhenAllConnectedAsync(ct), second.Group.WhenAllConnectedAsync(ct)).WaitAsync(Timeout, ct);
        Assert.That(first.Group.Members, Has.Count.EqualTo(3));
        Assert.That(second.Group.Members, Has.Count.EqualTo(3));
        await pageA.CallAsync("waitConnected", 3, WaitMs);
        await pageB.CallAsync("waitConnected", 3, WaitMs);
        var ids = new[] { first.Id, second.Id, pageA.Id, pageB.Id };
        Assert.That(ids.Distinct().Count(), Is.EqualTo(4));

        // A broadcast from each of the four reaches the other three exactly once.
        await first.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from first"), ct);
        await second.Group.BroadcastAsync(Encoding.UTF8.GetBytes("from second"), ct);
        await pageA.CallAsync("broadcastText", "from pageA");
        await pageB.CallAsync("broadcastText", "from pageB");
        await first.WaitForBroadcastsAsync(3, ct);
        await second.WaitForBroadcastsAsync(3, ct);
        var atA = await pageA.CallAsync("waitReceived", 3, WaitMs);
        var atB = await pageB.CallAsync("waitReceived", 3, WaitMs);
        await Task.Delay(200, ct); // a duplicate would arrive right behind; give it the chance to show
        Assert.Multiple(() =>
        {
            Assert.That(first.Texts(), Is.EquivalentTo(new[] { $"{second.Id}:from second", $"{pageA.Id}:from pageA", $"{pageB.Id}:from pageB" }));
            Assert.That(second.Texts(), Is.EquivalentTo(new[] { $"{first.Id}:from first", $"{pageA.Id}:from pageA", $"{pageB.Id}:from pageB" }));
            Assert.That(Texts(atA), Is.EquivalentTo(new[] { $"{first.Id}:from first", $"{second.Id}:from second", $"{pageB.Id}:from pageB" }));
            Assert.That(Texts(atB), Is.EquivalentTo(new[] { $"{first.Id}:from first", $"{second.Id}:from second", $"{pageA.Id}:from pageA" }));
        });

        // Unicast .NET → browser and browser → .NET, with replies.
        var reply = await first.Group.UnicastAsync(pageA.Id, Encoding.UTF8.GetBytes("hi page"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:hi page"));
        var fromPage = await pageB.CallAsync("unicastText", second.Id, "hi dotnet", WaitMs);
        Assert.That(fromPage.GetProperty("reply").GetString(), Is.EqualTo("dotnet got: hi dotnet"));

        // A 1 MiB message crosses both ways intact (split into frames of the peer's max message size).
        var big = RandomNumberGenerator.GetBytes(1 << 20);
        var echoed = await second.Group.UnicastAsync(pageB.Id, big, ct); // the page echoes large payloads as they are
        Assert.That(echoed.ToArray(), Is.EqualTo(big), ".NET → browser → .NET, 1 MiB");
        var fromBrowser = await pageA.CallAsync("unicastPattern", first.Id, 1 << 20, 7);
        Assert.That(fromBrowser.GetProperty("length").GetInt32(), Is.EqualTo(1 << 20));
        Assert.That(fromBrowser.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(Pattern(1 << 20, 7)))), "browser → .NET → browser, 1 MiB");
        Assert.That(first.LargestRequest, Is.EqualTo(Pattern(1 << 20, 7)), "the .NET member received the browser's 1 MiB intact");

        // Closing a page: the .NET members report it left and keep working.
        var leftAtFirst = first.WaitForLeftAsync(pageB.Id);
        var leftAtSecond = second.WaitForLeftAsync(pageB.Id);
        await pageB.CloseAsync();
        await Task.WhenAll(leftAtFirst, leftAtSecond).WaitAsync(Timeout, ct);
        reply = await first.Group.UnicastAsync(second.Id, Encoding.UTF8.GetBytes("still there?"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("dotnet got: still there?"));
        reply = await second.Group.UnicastAsync(pageA.Id, Encoding.UTF8.GetBytes("and you?"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:and you?"));

        // A .NET member joining later connects to all (the two .NET members and the remaining page).
        await using var late = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId, ct);
        await late.Group.WhenAllConnectedAsync(ct).WaitAsync(Timeout, ct);
        Assert.That(late.Group.Members.Select(m => m.Id), Is.EquivalentTo(new[] { first.Id, second.Id, pageA.Id }));
        await pageA.CallAsync("waitConnected", 3, WaitMs);
        Assert.That(pageA.PageErrors, Is.Empty);
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
