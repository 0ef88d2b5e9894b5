using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using P2p.Core;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// ICE restarts between the browser client (p2p.js over Chromium) and .NET members, in both roles: the page restarts
/// its link to a .NET member it offered to, and asks a .NET member that offered to it to restart. The connections
/// stay the same (same attempt, same data channel), both ICE ufrags change, and messages flow both ways afterwards.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedGroupIceRestartTests : BrowserClientTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(120_000)]
    public async Task A_page_and_dot_net_members_restart_ICE_in_both_roles_on_the_same_connections(CancellationToken ct)
    {
        await using var first = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct);
        var states = new ConcurrentQueue<string>();
        var page = await OpenAsync("restart");
        await page.CallAsync("join", first.Group.Id); // the page offers to first
        await using var second = await DotNetMember.CreateAsync(Server.WebSocketUri, first.Group.Id, ct); // second offers to the page
        await Task.WhenAll(first.Group.WhenAllConnectedAsync(ct), second.Group.WhenAllConnectedAsync(ct)).WaitAsync(Timeout, ct);
        await page.CallAsync("waitConnected", 2, WaitMs);
        foreach (var member in new[] { first, second })
        {
            member.Group.MemberStateChanged += (_, e) => states.Enqueue($"{e.Peer.Id}:{e.State}");
        }

        // The page is the offering side of its link to first: p2p.js restarts, the .NET member answers on the same connection.
        await RestartAndCheckAsync(page, first);

        // second offered to the page: the page asks for a restart, the .NET member restarts, p2p.js answers.
        await RestartAndCheckAsync(page, second);

        Assert.That(states, Is.Empty, "no member state changed: the links stayed connected throughout");
        Assert.That(page.PageErrors, Is.Empty);
    }

    private async Task RestartAndCheckAsync(BrowserClientPage page, DotNetMember member)
    {
        var before = await page.CallAsync("iceState", member.Id);
        var attempt = (await page.CallAsync("restartIce", member.Id)).GetInt32();
        var after = await page.CallAsync("waitIceRestarted", member.Id, Text(before, "local"), Text(before, "remote"), WaitMs);
        Assert.That(after.GetProperty("attempt").GetInt32(), Is.EqualTo(attempt), "the same connection");
        Assert.That(Text(after, "remote"), Is.Not.EqualTo(Text(before, "remote")), "the .NET member's ufrag changed");

        var reply = await member.Group.UnicastAsync(page.Id, Encoding.UTF8.GetBytes("after restart"));
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:after restart"));
        var fromPage = await page.CallAsync("unicastText", member.Id, "and back", WaitMs);
        Assert.That(fromPage.GetProperty("reply").GetString(), Is.EqualTo("dotnet got: and back"));
    }

    private static string? Text(JsonElement element, string name) => element.GetProperty(name).GetString();
}
