using System.Net;
using P2p.Core;
using P2p.Testing;
using P2p.Signaling.Server;
using P2p.Signaling.WebSockets;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>A member that leaves gracefully (<see cref="IGroup.LeaveAsync"/>) right after sending: what it sent still arrives.</summary>
[TestFixture]
public class GracefulLeaveTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Microsoft.Extensions.Logging.ILoggerFactory _logging = null!;

    [OneTimeSetUp]
    public void StartLogging() => _logging = P2p.Testing.TestLog.ToTestOutput(Microsoft.Extensions.Logging.LogLevel.Information);

    [OneTimeTearDown]
    public void StopLogging() => _logging.Dispose();

    [Test]
    [CancelAfter(120_000)]
    public async Task Every_broadcast_a_member_sent_before_leaving_reaches_the_members_that_stay(CancellationToken ct)
    {
        const int messages = 300;
        const int size = 32 * 1024; // 9.4 MiB in all: the leaver's send buffers are full when it leaves
        await using var server = await SignalingServer.StartAsync();
        var counts = new int[2];
        var complete = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        GroupOptions Counting(int index) => new()
        {
            MessageHandler = (_, data, _) =>
            {
                if (data.Length == size && Interlocked.Increment(ref counts[index]) == messages)
                {
                    complete[index].TrySetResult();
                }

                return ValueTask.CompletedTask;
            },
        };

        await using var a = await Group.CreateAsync(await Connect(server, ct), Transport(), GroupCapability.All, Counting(0), Service, ct);
        await using var b = await Group.JoinAsync(await Connect(server, ct), Transport(), a.Id, Counting(1), Service, ct);
        var leaver = await Group.JoinAsync(await Connect(server, ct), Transport(), a.Id, null, Service, ct);
        using (var connected = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connected.CancelAfter(Timeout);
            await Task.WhenAll(a.WhenAllConnectedAsync(connected.Token), b.WhenAllConnectedAsync(connected.Token), leaver.WhenAllConnectedAsync(connected.Token));
        }

        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.MemberLeft += (_, e) => left.TrySetResult();
        var payload = new byte[size];
        for (var i = 0; i < messages; i++)
        {
            var result = await leaver.BroadcastAsync(payload, ct);
            Assert.That(result.Failed, Is.Empty, $"broadcast {i} was accepted for every member");
        }

        await leaver.LeaveAsync(ct);
        await leaver.DisposeAsync();

        await left.Task.WaitAsync(Timeout, ct);
        try
        {
            await Task.WhenAll(complete.Select(c => c.Task)).WaitAsync(Timeout, ct);
        }
        catch (TimeoutException)
        {
            // reported below, with the counts
        }

        Assert.That(counts, Is.EqualTo(new[] { messages, messages }), "broadcasts received by each member that stayed");
    }

    private P2pOptions Service => new() { LoggerFactory = _logging };

    private WebRtcPeerConnectionFactory Transport() =>
        new(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback), LoggerFactory = _logging });

    private static async Task<WebSocketSignalingChannel> Connect(EmbeddedSignalingServer server, CancellationToken ct) =>
        await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct);
}
