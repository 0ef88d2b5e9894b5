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
        var meters = new Meters();
        var payload = new byte[MessageSize];
        b.MessageReceived += (_, e) =>
        {
            meters.B.OnMessage();
            b.Send(e.Data.Span);
        };
        a.MessageReceived += (_, _) =>
        {
            if (meters.A.OnMessage())
            {
                a.Send(payload);
            }
        };
        var perMessage = await meters.MeasureAsync(() => a.Send(payload));
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
        var meters = new Meters();
        var payload = new byte[MessageSize];
        b.PooledMessageReceived += (channel, message) =>
        {
            meters.B.OnMessage();
            channel.Send(message.Data.Span);
            message.Dispose();
        };
        a.PooledMessageReceived += (channel, message) =>
        {
            message.Dispose();
            if (meters.A.OnMessage())
            {
                channel.Send(payload);
            }
        };
        var perMessage = await meters.MeasureAsync(() => a.Send(payload));
        TestContext.Out.WriteLine($"{perMessage:F2} bytes allocated per {MessageSize}-byte message (sent and received, pooled)");
        Assert.That(perMessage, Is.LessThan(1), "no object per message (one would add at least 24 bytes)");
    }

    /// <summary>The two sides' meters, replaced together when a measured window has to be repeated.</summary>
    private sealed class Meters
    {
        private Meter _a = new(WarmUp, Measured);
        private Meter _b = new(WarmUp, Measured);

        public Meter A => Volatile.Read(ref _a);

        public Meter B => Volatile.Read(ref _b);

        /// <summary>
        /// Starts the ping-pong with <paramref name="kick"/> and returns the bytes allocated per message (sent and
        /// received) in a window in which each side ran on one thread throughout (the counters are per thread): up to
        /// three tries.
        /// </summary>
        public async Task<double> MeasureAsync(Action kick)
        {
            for (var attempt = 1; ; attempt++)
            {
                kick();
                await Task.WhenAll(A.Done, B.Done).WaitAsync(PeerPair.Timeout * 4);
                if (A.SameThread && B.SameThread)
                {
                    return (A.Allocated + B.Allocated) / (2.0 * Measured);
                }

                Assert.That(attempt, Is.LessThan(3), "three measured windows each moved between threads: the per-thread counters cannot be read");
                // Nothing is in flight: a window ends when A stops answering its last echo.
                Volatile.Write(ref _a, new Meter(WarmUp, Measured));
                Volatile.Write(ref _b, new Meter(WarmUp, Measured));
            }
        }
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
