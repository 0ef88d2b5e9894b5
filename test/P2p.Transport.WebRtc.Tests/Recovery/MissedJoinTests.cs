using System.Net;
using P2p.Core;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;
using P2p.Testing;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>
/// A member that joins while another member's signaling connection is away: its <c>member_joined</c> never reaches the
/// absent member, which learns of it from the server's list when it resumes and links to it.
/// </summary>
[TestFixture]
public class MissedJoinTests : RecoveryTestBase
{
    [Test]
    [CancelAfter(120_000)]
    public async Task A_member_that_resumes_after_a_server_restart_links_to_the_member_that_joined_while_it_was_away(CancellationToken ct)
    {
        var resumeKey = SignalingServerOptions.NewResumeKey();
        var server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { ResumeKey = resumeKey }, ct);
        await using var proxy = new FaultyTcpProxy(server.Uri); // the late member's way to the server
        var service = new P2pOptions { LoggerFactory = Logging };
        var signalingA = await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct);
        var signalingB = await WebSocketSignalingChannel.ConnectAsync(proxy.Uri, cancellationToken: ct);
        await using var a = await Group.CreateAsync(signalingA, Transport(), GroupCapability.All, null, service, ct);
        await using var b = await Group.JoinAsync(signalingB, Transport(), a.Id, null, service, ct);
        await WhenAllConnectedAsync(ct, a, b);

        // The server restarts; B cannot reach it until A has resumed and C has joined.
        var aBack = Reconnected(signalingA);
        var bBack = Reconnected(signalingB);
        proxy.Drop();
        await server.DisposeAsync();
        server = await EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Url = $"http://127.0.0.1:{server.Uri.Port}", ResumeKey = resumeKey }, ct);
        try
        {
            await aBack.WaitAsync(Generous, ct);
            await using var c = await Group.JoinAsync(await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct), Transport(), a.Id, null, service, ct);
            Assert.That(c.Members.Select(m => m.Id), Is.EqualTo(new[] { a.LocalMember.Id }), "B has not resumed yet: the server lists A only");
            await WhenAllConnectedAsync(ct, a, c);

            proxy.Restore();
            await bBack.WaitAsync(Generous, ct);
            await WhenAllConnectedAsync(ct, a, b, c);
            Assert.Multiple(() =>
            {
                Assert.That(b.Members.Select(m => m.Id), Is.EquivalentTo(new[] { a.LocalMember.Id, c.LocalMember.Id }));
                Assert.That(c.Members.Select(m => m.Id), Is.EquivalentTo(new[] { a.LocalMember.Id, b.LocalMember.Id }));
            });
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static Task Reconnected(WebSocketSignalingChannel signaling)
    {
        var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        signaling.Reconnected += (_, _) => back.TrySetResult();
        return back.Task;
    }

    private static async Task WhenAllConnectedAsync(CancellationToken ct, params IGroup[] groups)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Generous);
        await Task.WhenAll(groups.Select(g => g.WhenAllConnectedAsync(limit.Token)));
    }

    private WebRtcPeerConnectionFactory Transport() =>
        new(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback), LoggerFactory = Logging });
}
