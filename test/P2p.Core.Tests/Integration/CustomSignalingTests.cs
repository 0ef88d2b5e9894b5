using System.Text;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Integration;

/// <summary>The worked example of docs/custom-signaling.md works: a mesh over an in-process ISignalingChannel.</summary>
[CancelAfter(20_000)]
public class CustomSignalingTests
{
    [Test]
    public async Task A_group_forms_over_an_in_process_signaling_channel_with_the_single_group_entry_point()
    {
        var hub = new InProcessSignalingHub();
        var network = new InMemoryNetwork();
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        await using var alice = await Group.CreateAsync(hub.Connect(), network, GroupCapability.All);
        await using var bob = await Group.JoinAsync(hub.Connect(), network, alice.Id, new GroupOptions
        {
            MessageHandler = (from, data, ct) =>
            {
                heard.TrySetResult($"{from.Id}: {Encoding.UTF8.GetString(data.Span)}");
                return ValueTask.CompletedTask;
            },
        });
        alice.RequestHandler = (from, data, ct) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("hi " + from.Id));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await bob.WhenAllConnectedAsync(timeout.Token);
        await alice.WhenAllConnectedAsync(timeout.Token);
        var result = await alice.BroadcastAsync("hello"u8.ToArray(), timeout.Token);
        Assert.That(result.AllDelivered, Is.True);
        Assert.That(await heard.Task.WaitAsync(timeout.Token), Is.EqualTo($"{alice.LocalMember.Id}: hello"));
        var reply = await bob.UnicastAsync(alice.OwnerId, "hey"u8.ToArray(), timeout.Token);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("hi " + bob.LocalMember.Id));

        await bob.LeaveAsync();
        await alice.DisposeAsync();
        Assert.That(network.OpenConnectionCount, Is.Zero);
    }
}
