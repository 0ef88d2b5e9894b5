using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Integration;

[CancelAfter(30_000)]
public class MessagingTests
{
    [Test]
    public async Task A_ten_mebibyte_message_crosses_intact_both_as_broadcast_and_as_request_and_reply()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(3, configure: o => o.RequestHandler = (from, data, ct) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Reversed(data.ToArray())));
        var big = RandomNumberGenerator.GetBytes(10 * 1024 * 1024);

        var result = await members[0].Group.BroadcastAsync(big);
        Assert.That(result.AllDelivered, Is.True);
        foreach (var member in members[1..])
        {
            await member.Changes.UntilAsync(() => !member.Broadcasts.IsEmpty, $"{member.Id} to receive the big broadcast");
            Assert.That(member.Broadcasts.Single().Data.AsSpan().SequenceEqual(big), Is.True);
        }

        var reply = await members[1].Group.UnicastAsync(members[2].Id, big);
        Assert.That(reply.Span.SequenceEqual(Reversed(big)), Is.True);
        Assert.That(mesh.Network.MaxMessageSize, Is.LessThan(big.Length / 100), "the message really was split");
    }

    [Test]
    public async Task A_message_over_the_limit_fails_at_the_sender_before_anything_is_sent()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(2, configure: o => o.MaxMessageSize = 1024 * 1024);
        var sent = mesh.Network.Connections.Sum(c => ((InMemoryChannel)c.Channel).SentMessages);
        var tooBig = new byte[1024 * 1024 + 1];
        Assert.That(() => members[0].Group.BroadcastAsync(tooBig), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.TooLarge));
        Assert.That(() => members[0].Group.UnicastAsync(members[1].Id, tooBig), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.TooLarge));
        Assert.That(mesh.Network.Connections.Sum(c => ((InMemoryChannel)c.Channel).SentMessages), Is.EqualTo(sent));
    }

    [Test]
    public async Task A_request_over_the_receivers_limit_gets_a_too_large_error_reply()
    {
        await using var mesh = await TestMesh.StartAsync();
        var small = await mesh.CreateAsync(configure: o => o.MaxMessageSize = 64 * 1024);
        var big = await mesh.JoinAsync(small.Group.Id);
        await TestMesh.WaitForFullMeshAsync([small, big]);
        var error = Assert.ThrowsAsync<GroupException>(() => big.Group.UnicastAsync(small.Id, new byte[200 * 1024]));
        Assert.That(error!.Code, Is.EqualTo(GroupErrorCode.TooLarge));
        Assert.That(error.IsRemote, Is.True);
        Assert.That(error.RemoteMemberId, Is.EqualTo(small.Id));

        // The channel is still in order afterwards.
        var reply = await big.Group.UnicastAsync(small.Id, "ok"u8.ToArray());
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo($"{small.Id}:ok"));
    }

    [Test]
    public async Task Handler_errors_missing_handlers_and_slow_handlers_become_clear_errors_at_the_caller()
    {
        await using var mesh = await TestMesh.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failing = await mesh.CreateAsync(configure: o => o.RequestHandler = (from, data, ct) => throw new InvalidOperationException("the answer is no"));
        var silent = await mesh.JoinAsync(failing.Group.Id, o => o.RequestHandler = null);
        var slow = await mesh.JoinAsync(failing.Group.Id, o => o.RequestHandler = async (from, data, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return data;
        });
        var caller = await mesh.JoinAsync(failing.Group.Id, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        await TestMesh.WaitForFullMeshAsync([failing, silent, slow, caller]);

        var failed = Assert.ThrowsAsync<GroupException>(() => caller.Group.UnicastAsync(failing.Id, "q"u8.ToArray()));
        Assert.That(failed!.Code, Is.EqualTo(GroupErrorCode.HandlerFailed));
        Assert.That(failed.Message, Does.Contain("the answer is no"));
        Assert.That(failed.IsRemote, Is.True);

        var missing = Assert.ThrowsAsync<GroupException>(() => caller.Group.UnicastAsync(silent.Id, "q"u8.ToArray()));
        Assert.That(missing!.Code, Is.EqualTo(GroupErrorCode.NoHandler));

        var timedOut = Assert.ThrowsAsync<GroupException>(() => caller.Group.UnicastAsync(slow.Id, "q"u8.ToArray()));
        Assert.That(timedOut!.Code, Is.EqualTo(GroupErrorCode.Timeout));
        Assert.That(caller.MeshGroup!.GetLink(slow.Id)!.PendingRequestCount, Is.Zero);
        release.SetResult(); // the late reply is discarded

        Assert.That(() => caller.Group.UnicastAsync("no-such-member", "q"u8.ToArray()), Throws.TypeOf<GroupException>().With.Property(nameof(GroupException.Code)).EqualTo(GroupErrorCode.NotMember));
        Assert.That(() => caller.Group.UnicastAsync(caller.Id, "q"u8.ToArray()), Throws.ArgumentException);
    }

    [Test]
    public async Task A_slow_message_handler_holds_the_sender_back_and_nothing_is_lost_or_reordered()
    {
        const int count = 200;
        await using var mesh = await TestMesh.StartAsync();
        mesh.Network.QueueCapacity = 4;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new List<int>();
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = await mesh.CreateAsync();
        var receiver = await mesh.JoinAsync(sender.Group.Id, o =>
        {
            o.ReceiveQueueCapacity = 4;
            o.MessageHandler = async (from, data, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                received.Add(BitConverter.ToInt32(data.Span));
                if (received.Count == count)
                {
                    allReceived.SetResult();
                }
            };
        });
        await TestMesh.WaitForFullMeshAsync([sender, receiver]);

        var completed = 0;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var result = await sender.Group.BroadcastAsync(BitConverter.GetBytes(i));
                Assert.That(result.AllDelivered, Is.True);
                Interlocked.Increment(ref completed);
            }
        });

        await mesh.Network.BackPressure.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(sending.IsCompleted, Is.False, "the sender is held back");
        Assert.That(Volatile.Read(ref completed), Is.LessThan(count / 2));

        gate.SetResult();
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        await allReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, count)));
    }

    [Test]
    public async Task Cancelling_a_unicast_leaves_nothing_pending_and_leaving_fails_pending_calls()
    {
        await using var mesh = await TestMesh.StartAsync();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var members = await mesh.FormAsync(2, configure: o => o.RequestHandler = async (from, data, ct) =>
        {
            handlerStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                handlerCancelled.TrySetResult();
                throw;
            }

            return data;
        });
        var (caller, callee) = (members[1], members[0]);

        using (var cts = new CancellationTokenSource())
        {
            var call = caller.Group.UnicastAsync(callee.Id, "q"u8.ToArray(), cts.Token);
            await handlerStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await cts.CancelAsync();
            Assert.That(() => call, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(caller.MeshGroup!.GetLink(callee.Id)!.PendingRequestCount, Is.Zero);
        }

        var pending = caller.Group.UnicastAsync(callee.Id, "q"u8.ToArray());
        await caller.Group.LeaveAsync();
        var error = Assert.ThrowsAsync<GroupException>(() => pending);
        Assert.That(error!.Code, Is.EqualTo(GroupErrorCode.GroupClosed));
        Assert.That(caller.MeshGroup!.Work.Count, Is.Zero, "no background work after leaving");

        // The callee's handler is cancelled when the caller's connection goes away.
        await handlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task Events_and_logs_name_the_members()
    {
        await using var mesh = await TestMesh.StartAsync();
        var members = await mesh.FormAsync(2);
        Assert.That(mesh.Log.Contains(LogLevel.Information, $"Connected to member {members[0].Id}"), Is.True);
        Assert.That(mesh.Log.Contains(LogLevel.Information, $"Connected to member {members[1].Id}"), Is.True);
    }

    private static byte[] Reversed(byte[] data)
    {
        var copy = (byte[])data.Clone();
        Array.Reverse(copy);
        return copy;
    }
}
