using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>
/// The steady-state data path allocates nothing per message beyond what the API hands to the
/// application: the receiver owns <see cref="RtcDataChannelMessageEventArgs.Data"/> (one array per
/// message) and may keep the event args, so those two objects are all that is allowed.
/// </summary>
public class PeerConnectionAllocationTests
{
    private const int WarmUp = 3_000;
    private const int Measured = 5_000;
    private const int MessageSize = 32;

    /// <summary>What the API contract itself costs for a 32-byte message: the array (24 + 32) and the event args (40).</summary>
    private const int DeliveredBytes = 24 + MessageSize + 40;

    /// <summary>Allowed on top of it, per message: far less than any per-message object (a byte array, a closure, a task) would add.</summary>
    private const int Slack = 32;

    [Test]
    [CancelAfter(60_000)]
    public async Task Ping_pong_allocates_only_the_delivered_message_per_message()
    {
        await using var pair = new PeerPair();
        var a = pair.Offerer.CreateDataChannel("alloc", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var b = pair.Answerer.CreateDataChannel("alloc", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        await pair.ConnectAsync();
        await Task.WhenAll(PeerPair.WaitOpenAsync(a), PeerPair.WaitOpenAsync(b));

        // One message in flight at a time: each side replies from its handler, so the whole round
        // trip (receive, decrypt, SCTP, delivery, send, SACK) runs on the two UDP receive threads,
        // whose own allocation counters are read at the start and end of the measured window.
        // A window counts only when each side ran on one thread throughout (the counters are per thread): up to three tries.
        var atA = new Meter(WarmUp, Measured);
        var atB = new Meter(WarmUp, Measured);
        var payload = new byte[MessageSize];
        b.MessageReceived += (_, e) =>
        {
            Volatile.Read(ref atB).OnMessage();
            b.Send(e.Data.Span);
        };
        a.MessageReceived += (_, _) =>
        {
            if (Volatile.Read(ref atA).OnMessage())
            {
                a.Send(payload);
            }
        };
        for (var attempt = 1; ; attempt++)
        {
            a.Send(payload);
            await Task.WhenAll(atA.Done, atB.Done).WaitAsync(PeerPair.Timeout * 4);
            if (atA.SameThread && atB.SameThread)
            {
                break;
            }

            Assert.That(attempt, Is.LessThan(3), "three measured windows each moved between threads: the per-thread counters cannot be read");
            // Nothing is in flight: a window ends when A stops answering its last echo.
            Volatile.Write(ref atA, new Meter(WarmUp, Measured));
            Volatile.Write(ref atB, new Meter(WarmUp, Measured));
        }

        var perMessage = (atA.Allocated + atB.Allocated) / (2.0 * Measured);
        TestContext.Out.WriteLine($"{perMessage:F1} bytes allocated per {MessageSize}-byte message (sent and received)");
        Assert.That(perMessage, Is.LessThan(DeliveredBytes + Slack));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Ping_pong_through_the_pooled_receive_API_allocates_nothing_per_message()
    {
        await using var pair = new PeerPair();
        var a = pair.Offerer.CreateDataChannel("alloc", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        var b = pair.Answerer.CreateDataChannel("alloc", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        await pair.ConnectAsync();
        await Task.WhenAll(PeerPair.WaitOpenAsync(a), PeerPair.WaitOpenAsync(b));

        // As above, but each side receives a lease and disposes it: nothing is handed to the application to keep.
        var atA = new Meter(WarmUp, Measured);
        var atB = new Meter(WarmUp, Measured);
        var payload = new byte[MessageSize];
        b.PooledMessageReceived += (channel, message) =>
        {
            Volatile.Read(ref atB).OnMessage();
            channel.Send(message.Data.Span);
            message.Dispose();
        };
        a.PooledMessageReceived += (channel, message) =>
        {
            message.Dispose();
            if (Volatile.Read(ref atA).OnMessage())
            {
                channel.Send(payload);
            }
        };
        for (var attempt = 1; ; attempt++)
        {
            a.Send(payload);
            await Task.WhenAll(atA.Done, atB.Done).WaitAsync(PeerPair.Timeout * 4);
            if (atA.SameThread && atB.SameThread)
            {
                break;
            }

            Assert.That(attempt, Is.LessThan(3), "three measured windows each moved between threads: the per-thread counters cannot be read");
            Volatile.Write(ref atA, new Meter(WarmUp, Measured));
            Volatile.Write(ref atB, new Meter(WarmUp, Measured));
        }

        var perMessage = (atA.Allocated + atB.Allocated) / (2.0 * Measured);
        TestContext.Out.WriteLine($"{perMessage:F2} bytes allocated per {MessageSize}-byte message (sent and received, pooled)");
        Assert.That(perMessage, Is.LessThan(1), "no object per message (one would add at least 24 bytes)");
    }

    /// <summary>Counts messages on one side and reads the thread's allocation counter when the window opens and closes.</summary>
    private sealed class Meter(int warmUp, int measured)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;
        private long _start;
        private int _startThread;

        public Task Done => _done.Task;

        public long Allocated { get; private set; }

        public bool SameThread { get; private set; }

        /// <summary>True while more messages should follow.</summary>
        public bool OnMessage()
        {
            _count++;
            if (_count == warmUp)
            {
                _startThread = Environment.CurrentManagedThreadId;
                _start = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (_count == warmUp + measured)
            {
                Allocated = GC.GetAllocatedBytesForCurrentThread() - _start;
                SameThread = Environment.CurrentManagedThreadId == _startThread;
                _done.TrySetResult();
                return false;
            }

            return _count < warmUp + measured;
        }
    }
}
