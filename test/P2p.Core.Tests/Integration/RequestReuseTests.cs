using System.Text;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Integration;

/// <summary>
/// A direct unicast reuses its waiting state (the messenger's pooled requests): timeouts, cancellations and a send held
/// back by a full channel end each request cleanly and never leak into the next ones.
/// </summary>
public class RequestReuseTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Cancelled_and_timed_out_requests_leave_nothing_behind_and_the_next_hundred_requests_get_their_own_replies()
    {
        await using var mesh = await TestMesh.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answerer = await mesh.CreateAsync(configure: o => o.RequestHandler = async (from, data, ct) =>
        {
            if (Encoding.UTF8.GetString(data.Span) == "hold")
            {
                await release.Task.WaitAsync(ct);
            }

            return data;
        });
        var caller = await mesh.JoinAsync(answerer.Group.Id, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        await TestMesh.WaitForFullMeshAsync([answerer, caller]);
        var link = caller.MeshGroup!.GetLink(answerer.Id)!;

        for (var round = 0; round < 3; round++)
        {
            using var cancel = new CancellationTokenSource();
            var cancelled = caller.Group.UnicastAsync(answerer.Id, "hold"u8.ToArray(), cancel.Token);
            await cancel.CancelAsync();
            Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>(), "the caller's cancellation");

            var timedOut = Assert.ThrowsAsync<GroupException>(() => caller.Group.UnicastAsync(answerer.Id, "hold"u8.ToArray()));
            Assert.That(timedOut!.Code, Is.EqualTo(GroupErrorCode.Timeout));
            Assert.That(timedOut.Message, Does.Contain($"No reply from member {answerer.Id} within"));
            Assert.That(link.PendingRequestCount, Is.Zero);
        }

        release.SetResult(); // the late replies to the held requests arrive now and must match nothing
        var replies = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => caller.Group.UnicastAsync(answerer.Id, Encoding.UTF8.GetBytes($"q{i}"))));
        Assert.That(replies.Select(r => Encoding.UTF8.GetString(r.Span)), Is.EqualTo(Enumerable.Range(0, 100).Select(i => $"q{i}")));
        Assert.That(link.PendingRequestCount, Is.Zero);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_request_whose_send_is_held_back_by_a_full_channel_still_times_out()
    {
        await using var mesh = await TestMesh.StartAsync();
        mesh.Network.QueueCapacity = 2;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = await mesh.CreateAsync(configure: o =>
        {
            o.ReceiveQueueCapacity = 1;
            o.MessageHandler = async (from, data, ct) => await gate.Task.WaitAsync(ct);
            o.RequestHandler = (from, data, ct) => ValueTask.FromResult(data);
        });
        var sender = await mesh.JoinAsync(receiver.Group.Id, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        await TestMesh.WaitForFullMeshAsync([receiver, sender]);

        // Broadcasts fill the receiver's queue and the channel until the sender is held back.
        var flooding = Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await sender.Group.BroadcastAsync(new byte[16]);
            }
        });
        await mesh.Network.BackPressure.WaitAsync(TimeSpan.FromSeconds(10));

        var timedOut = Assert.ThrowsAsync<GroupException>(() => sender.Group.UnicastAsync(receiver.Id, "q"u8.ToArray()));
        Assert.That(timedOut!.Code, Is.EqualTo(GroupErrorCode.Timeout), "the deadline covers the send too");
        gate.SetResult();
        await flooding.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(Encoding.UTF8.GetString((await sender.Group.UnicastAsync(receiver.Id, "after"u8.ToArray())).Span), Is.EqualTo("after"));
    }
}
