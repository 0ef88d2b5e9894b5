using P2p.Signaling.Server;
using P2p.Testing;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// A page whose signaling connection is away while the server restarts and a .NET member joins: the page never gets
/// that <c>member_joined</c>, learns of the member from the server's list when it resumes, and offers to it.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedGroupMissedJoinTests : BrowserClientTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Test]
    [CancelAfter(120_000)]
    public async Task A_page_that_resumes_after_a_server_restart_links_to_the_member_that_joined_while_it_was_away(CancellationToken ct)
    {
        var resumeKey = SignalingServerOptions.NewResumeKey();
        var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { ResumeKey = resumeKey }, ct);
        try
        {
            await using var proxy = new FaultyTcpProxy(server.Uri); // the page's way to the server
            await using var first = await DotNetMember.CreateAsync(server.Uri, groupId: null, ct);
            var page = await OpenAsync("late", connect: false);
            await page.ConnectAsync(proxy.Uri);
            await page.CallAsync("join", first.Group.Id);
            await page.CallAsync("waitConnected", 1, WaitMs);

            // The server restarts; the page cannot reach it until the first member has resumed and a newcomer joined.
            var firstBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            first.Signaling.Reconnected += (_, _) => firstBack.TrySetResult();
            proxy.Drop();
            await server.DisposeAsync();
            server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Url = $"http://127.0.0.1:{server.Uri.Port}", ResumeKey = resumeKey }, ct);
            await firstBack.Task.WaitAsync(Timeout, ct);
            await using var newcomer = await DotNetMember.CreateAsync(server.Uri, first.Group.Id, ct);
            Assert.That(newcomer.Group.Members.Select(m => m.Id), Is.EqualTo(new[] { first.Id }), "the page has not resumed yet: the server lists the first member only");
            await newcomer.Group.WhenAllConnectedAsync(ct).WaitAsync(Timeout, ct);

            proxy.Restore();
            await page.CallAsync("waitConnected", 2, WaitMs);
            await Task.WhenAll(first.Group.WhenAllConnectedAsync(ct), newcomer.Group.WhenAllConnectedAsync(ct)).WaitAsync(Timeout, ct);
            Assert.That(newcomer.Group.Members.Select(m => m.Id), Is.EquivalentTo(new[] { first.Id, page.Id }));
            var links = await page.CallAsync("links");
            Assert.That(links.GetProperty(newcomer.Id).GetProperty("role").GetString(), Is.EqualTo("offerer"), "listed after the newcomer once it resumed, the page offers");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
