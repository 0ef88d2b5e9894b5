using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using P2p.Testing;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>samples/P2p.Chat: two chat processes in one group over WebRTC, driven through stdin/stdout.</summary>
[TestFixture]
public partial class ChatProgramTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Test]
    [CancelAfter(60_000)]
    public async Task Two_chats_talk_to_everyone_and_to_one_and_see_each_other_leave(CancellationToken ct)
    {
        await using var server = await SignalingServer.StartAsync();
        using var a = ChatProcess.Start("--server", server.Uri.ToString(), "--loopback", "--name", "alice");
        var groupId = CreatedGroup().Match(await a.WaitForLineAsync("created group", ct)).Groups[1].Value;
        var aId = You().Match(await a.WaitForLineAsync("you are", ct)).Groups[1].Value;

        using var b = ChatProcess.Start("--server", server.Uri.ToString(), "--loopback", "--group", groupId);
        await b.WaitForLineAsync("joined group", ct);
        var bId = You().Match(await b.WaitForLineAsync("you are", ct)).Groups[1].Value;
        await a.WaitForLineAsync($"* {bId} connected", ct);
        await b.WaitForLineAsync($"* {aId} connected", ct);

        await b.SendAsync("hello from b");
        Assert.That(await a.WaitForLineAsync($"<{bId}>", ct), Is.EqualTo($"<{bId}> hello from b"));
        await a.SendAsync($"/to {bId} psst");
        Assert.That(await b.WaitForLineAsync($"<{aId} to you>", ct), Is.EqualTo($"<{aId} to you> alice: psst"));
        Assert.That(await a.WaitForLineAsync($"* {bId} received", ct), Is.EqualTo($"* {bId} received"));

        await b.SendAsync("/quit");
        Assert.That(await b.WaitForExitAsync(ct), Is.Zero);
        await a.WaitForLineAsync($"* {bId} left", ct);
        a.CloseInput();
        Assert.That(await a.WaitForExitAsync(ct), Is.Zero);
    }

    [GeneratedRegex(@"created group ([0-9a-f]+)")]
    private static partial Regex CreatedGroup();

    [GeneratedRegex(@"you are ([0-9a-f]+)")]
    private static partial Regex You();
}
