using System.Collections.Concurrent;
using System.Net;
using P2p.Core;
using P2p.Signaling.Server;
using P2p.Testing;
using P2p.Signaling.WebSockets;
using P2p.WebRtc.Sctp;

namespace P2p.Transport.WebRtc.Tests;

/// <summary>
/// Receive-side back-pressure between two .NET members over our WebRTC stack: a member whose handler is slow stops
/// reading when its receive queue is full, the frames it has not read keep its SCTP receive window closed, and the sender's
/// broadcasts wait. What is sent and not yet handled stays within the buffers and windows on the way, however fast the
/// sender, and nothing is lost.
/// </summary>
[TestFixture]
public class ReceiveBackPressureTests
{
    private const int Count = 80;
    private const int Size = 256 * 1024;
    private const int QueueCapacity = 4;

    // The sender's data channel queue (RtcDataChannel.SendAsync waits above 4 MiB), the receiver's SCTP window, the group's
    // receive queue, the message in the handler and one being reassembled. Before receive-side flow control the transport
    // read whatever arrived, and a sender finished with nearly all of the messages unhandled.
    private static readonly int MaxUnhandled = (((4 * 1024 * 1024) + new SctpOptions().ReceiveWindow) / Size) + QueueCapacity + 1 + 1 + 1;

    [Test]
    [CancelAfter(120_000)]
    public async Task A_fast_sender_waits_for_a_slow_member_and_nothing_piles_up_or_is_lost(CancellationToken ct)
    {
        await using var server = await SignalingServer.StartAsync();
        var received = new ConcurrentQueue<byte[]>();
        var handled = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowOptions = new GroupOptions
        {
            ReceiveQueueCapacity = QueueCapacity,
            MessageHandler = async (_, data, token) =>
            {
                received.Enqueue(data.ToArray());
                await Task.Delay(20, token);
                if (Interlocked.Increment(ref handled) == Count)
                {
                    all.TrySetResult();
                }
            },
        };
        await using var slow = await Group.CreateAsync(await ConnectAsync(server, ct), Transport(), GroupCapability.All, slowOptions, cancellationToken: ct);
        await using var fast = await Group.JoinAsync(await ConnectAsync(server, ct), Transport(), slow.Id, cancellationToken: ct);
        using (var connected = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connected.CancelAfter(TimeSpan.FromSeconds(30));
            await Task.WhenAll(slow.WhenAllConnectedAsync(connected.Token), fast.WhenAllConnectedAsync(connected.Token));
        }

        for (var i = 0; i < Count; i++)
        {
            var result = await fast.BroadcastAsync(Pattern(i), ct);
            Assert.That(result.Failed, Is.Empty, $"broadcast {i}");
        }

        var unhandledWhenSent = Count - Volatile.Read(ref handled);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        await TestContext.Out.WriteLineAsync($"{Count} x {Size} B: {unhandledWhenSent} unhandled when the sender was done (bound {MaxUnhandled})");
        Assert.Multiple(() =>
        {
            Assert.That(unhandledWhenSent, Is.LessThanOrEqualTo(MaxUnhandled), "the sender waited for the slow member");
            var messages = received.ToArray();
            Assert.That(messages, Has.Length.EqualTo(Count));
            for (var i = 0; i < messages.Length; i++)
            {
                Assert.That(messages[i], Is.EqualTo(Pattern(i)), $"message {i} intact and in order");
            }
        });
    }

    private static byte[] Pattern(int seed)
    {
        var bytes = new byte[Size];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((i * 7) + seed);
        }

        return bytes;
    }

    private static WebRtcPeerConnectionFactory Transport() =>
        new(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback) });

    private static async Task<WebSocketSignalingChannel> ConnectAsync(EmbeddedSignalingServer server, CancellationToken ct) =>
        await WebSocketSignalingChannel.ConnectAsync(server.Uri, cancellationToken: ct);
}
