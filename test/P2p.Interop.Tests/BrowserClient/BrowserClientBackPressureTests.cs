using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// Sending back-pressure in the browser client (docs/browser-client.md, "How it maps to the .NET API"): a page floods a
/// .NET member whose message handler is slow. The .NET member stops reading when its receive queue is full, the frames
/// it has not read keep its SCTP receive window closed, the page's channel fills, and the page's broadcasts wait (bufferedAmount stays under the 1 MiB high
/// water mark plus one frame) instead of failing or piling up; every message arrives, intact and in order.
/// </summary>
[TestFixture]
[NonParallelizable]
public class BrowserClientBackPressureTests : BrowserClientTestBase
{
    private const int Count = 80;
    private const int Size = 256 * 1024;               // 20 MiB in all: more than Chromium lets a channel buffer (16 MiB)
    private const int HandlerDelayMs = 40;             // the .NET handler needs 3.2 s for all of them
    private const int HighWater = 1024 * 1024;         // p2p.js SEND_HIGH_WATER
    private const int MaxFrame = 64 * 1024;            // the default frame cap
    private const int SctpWindow = 4 * 1024 * 1024;    // SctpOptions.ReceiveWindow: what the .NET side takes ahead of its reader
    private const int QueueCapacity = 4;               // GroupOptions.ReceiveQueueCapacity below

    // Taken by the page yet not handled by .NET when the page's last send returns: its channel buffer, the .NET SCTP
    // window, the group's receive queue, the message in the handler and one being reassembled. Before receive-side flow
    // control, the .NET transport took whatever arrived and this was unbounded (a CI run saw 47).
    private const int MaxUnhandled = ((HighWater + MaxFrame + SctpWindow) / Size) + 1 + QueueCapacity + 1 + 1;

    [Test]
    [CancelAfter(120_000)]
    public async Task A_page_flooding_a_slow_dotnet_member_waits_and_loses_nothing(CancellationToken ct)
    {
        var received = new ConcurrentQueue<byte[]>();
        var handled = 0;
        var transport = new WebRtcPeerConnectionFactory(new WebRtcTransportOptions { AddressFilter = a => a.Equals(IPAddress.Loopback) });
        var options = new GroupOptions
        {
            ReceiveQueueCapacity = QueueCapacity,
            MessageHandler = async (_, data, token) =>
            {
                received.Enqueue(data.ToArray());
                await Task.Delay(HandlerDelayMs, token);
                Interlocked.Increment(ref handled);
            },
        };
        var signaling = await WebSocketSignalingChannel.ConnectAsync(Server.WebSocketUri, cancellationToken: ct);
        await using var slow = await P2p.Core.Group.CreateAsync(signaling, transport, GroupCapability.All, options, null, ct);

        var page = await OpenAsync("flooder");
        await page.CallAsync("join", slow.Id);
        await page.CallAsync("waitConnected", 1, WaitMs);
        await slow.WhenAllConnectedAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        var clock = Stopwatch.StartNew();
        var flood = await page.CallAsync("floodBroadcasts", Count, Size);
        var handledWhenSent = Volatile.Read(ref handled);
        var elapsedMs = flood.GetProperty("elapsedMs").GetDouble();
        var maxBuffered = flood.GetProperty("maxBuffered").GetInt64();

        // Everything arrives, intact, in order, exactly once.
        while (received.Count < Count && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, ct);
        }

        await Task.Delay(200, ct); // a duplicate would arrive right behind
        var messages = received.ToArray();
        await TestContext.Out.WriteLineAsync(
            $"flood: {Count} x {Size} B in {elapsedMs:F0} ms, max bufferedAmount {maxBuffered} B, .NET handled {handledWhenSent} when the page was done, " +
            $"all {messages.Length} received after {clock.ElapsedMilliseconds} ms; JS heap {flood.GetProperty("heapBefore")} -> {flood.GetProperty("heapAfter")}");
        Assert.Multiple(() =>
        {
            Assert.That(flood.GetProperty("failed").GetInt32(), Is.Zero, "no broadcast failed");
            Assert.That(flood.GetProperty("delivered").EnumerateArray().Select(d => d.GetInt32()), Is.All.EqualTo(1), "each broadcast taken by the channel");
            Assert.That(maxBuffered, Is.LessThanOrEqualTo(HighWater + MaxFrame), "the page's channel buffer stays bounded");
            Assert.That(Count - handledWhenSent, Is.LessThanOrEqualTo(MaxUnhandled),
                "the page's sends waited for the slow receiver: what was sent and not yet handled stays within the buffers and windows on the way");
            Assert.That(elapsedMs, Is.GreaterThanOrEqualTo(Count / 2 * HandlerDelayMs), "the flood took the receiver's pace");
            Assert.That(messages, Has.Length.EqualTo(Count), "nothing lost, nothing duplicated");
            for (var seed = 0; seed < messages.Length; seed++)
            {
                Assert.That(messages[seed], Is.EqualTo(Pattern(Size, seed)), $"message {seed} intact and in order");
            }
        });
        AssertNoPageErrors(page);
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
