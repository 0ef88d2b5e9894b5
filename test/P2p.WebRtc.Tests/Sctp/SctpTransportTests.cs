using System.Collections.Concurrent;
using P2p.WebRtc.Net;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>The driver with real time over the in-memory link (clean and lossy) and over UDP on 127.0.0.1.</summary>
public class SctpTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Options for real-time tests: short timers so that losses recover quickly.</summary>
    private static SctpOptions FastOptions() => new()
    {
        MaxMessageSize = 16 * 1024 * 1024,
        MaxReceiveMessageSize = 16 * 1024 * 1024,
        RtoInitial = TimeSpan.FromMilliseconds(200),
        RtoMin = TimeSpan.FromMilliseconds(20),
        DelayedAckTimeout = TimeSpan.FromMilliseconds(20),
        MaxRetransmissions = 50,
    };

    private static async Task<(SctpTransport A, SctpTransport B)> ConnectAsync(IDatagramTransport a, IDatagramTransport b, SctpOptions? options = null)
    {
        var ta = new SctpTransport(a, options ?? FastOptions());
        var tb = new SctpTransport(b, options ?? FastOptions());
        await Task.WhenAll(ta.ConnectAsync(), tb.ConnectAsync()).WaitAsync(Timeout);
        return (ta, tb);
    }

    /// <summary>Sends <paramref name="count"/> messages of <paramref name="size"/> bytes on 3 ordered streams and checks every one arrives intact and in order.</summary>
    private static async Task TransferAsync(SctpTransport sender, SctpTransport receiver, int count, int size)
    {
        var expected = new List<string>[3];
        var received = new ConcurrentQueue<SctpMessage>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var n = 0;
        receiver.MessageReceived += (_, m) =>
        {
            received.Enqueue(m);
            if (Interlocked.Increment(ref n) == count)
            {
                done.TrySetResult();
            }
        };
        for (var s = 0; s < 3; s++)
        {
            expected[s] = [];
        }

        for (var i = 0; i < count; i++)
        {
            var payload = SctpTestUtil.Payload(size, i);
            expected[i % 3].Add(SctpTestUtil.Sha(payload));
            await sender.SendAsync((ushort)(i % 3), 53, payload).AsTask().WaitAsync(Timeout);
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(50));
        for (ushort s = 0; s < 3; s++)
        {
            Assert.That(received.Where(m => m.StreamId == s).Select(m => SctpTestUtil.Sha(m.Payload.Span)), Is.EqualTo(expected[s]), $"stream {s}");
        }
    }

    [Test]
    public async Task In_memory_connect_exchange_and_close_gracefully()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            var gotB = new TaskCompletionSource<SctpMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            var gotA = new TaskCompletionSource<SctpMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            b.MessageReceived += (_, m) => gotB.TrySetResult(m);
            a.MessageReceived += (_, m) => gotA.TrySetResult(m);
            a.Send(1, 51, "hello"u8);
            b.Send(2, 53, [1, 2, 3], new SctpSendOptions { Unordered = true });
            var mb = await gotB.Task.WaitAsync(Timeout);
            var ma = await gotA.Task.WaitAsync(Timeout);
            Assert.That((mb.StreamId, mb.Ppid, mb.Payload.ToArray()), Is.EqualTo(((ushort)1, 51u, "hello"u8.ToArray())));
            Assert.That((ma.StreamId, ma.Ppid, ma.Unordered), Is.EqualTo(((ushort)2, 53u, true)));

            var closedB = b.Completion;
            var info = await a.CloseAsync().WaitAsync(Timeout);
            Assert.That(info.IsGraceful, Is.True);
            Assert.That((await closedB.WaitAsync(Timeout)).IsGraceful, Is.True);
            Assert.Throws<SctpException>(() => a.Send(1, 51, [1]));
        }
    }

    [Test]
    public async Task In_memory_send_errors_are_clear()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B, new SctpOptions { MaxMessageSize = 1000, MaxSendBufferSize = 10_000 });
        await using (a)
        await using (b)
        {
            Assert.Throws<ArgumentException>(() => a.Send(0, 57, []));
            Assert.Throws<ArgumentException>(() => a.Send(0, 53, new byte[1001]));
            Assert.That(a.Options.MaxPacketSize, Is.LessThanOrEqualTo(link.A.MaxDatagramSize));
        }
    }

    [Test]
    public async Task In_memory_lossy_sixteen_mebibytes_in_order_and_intact()
    {
        await using var link = new InMemoryDatagramLink(new LinkImpairment(Loss: 0.05, Duplicate: 0.01, Reorder: 0.05, Seed: 11));
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            await TransferAsync(a, b, 256, 64 * 1024);
            var m = a.GetMetrics();
            TestContext.Out.WriteLine(m.ToString());
            Assert.That(m.DataChunksRetransmitted, Is.GreaterThan(0));
            Assert.That(link.A.Dropped, Is.GreaterThan(0));
        }
    }

    [Test]
    public async Task Udp_loopback_sixteen_mebibytes_and_ping_pong()
    {
        var (ua, ub) = UdpLoopbackTransport.CreatePair();
        using (ua)
        using (ub)
        {
            var (a, b) = await ConnectAsync(ua, ub);
            await using (a)
            await using (b)
            {
                await TransferAsync(a, b, 256, 64 * 1024);

                // Ping-pong: B echoes, A counts 100 round trips.
                b.MessageReceived += (_, m) => b.Send(m.StreamId, m.Ppid, m.Payload.Span);
                var rounds = 0;
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                a.MessageReceived += (_, m) =>
                {
                    if (m.StreamId != 9)
                    {
                        return;
                    }

                    if (++rounds == 100)
                    {
                        done.TrySetResult();
                    }
                    else
                    {
                        a.Send(9, 51, m.Payload.Span);
                    }
                };
                a.Send(9, 51, new byte[32]);
                await done.Task.WaitAsync(Timeout);
                Assert.That(rounds, Is.EqualTo(100));
            }
        }
    }

    [Test]
    public async Task Stream_reset_through_the_driver_raises_events_on_both_sides()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            var bIncoming = new TaskCompletionSource<IReadOnlyList<ushort>>(TaskCreationOptions.RunContinuationsAsynchronously);
            var aOutgoing = new TaskCompletionSource<IReadOnlyList<ushort>>(TaskCreationOptions.RunContinuationsAsynchronously);
            var aIncoming = new TaskCompletionSource<IReadOnlyList<ushort>>(TaskCreationOptions.RunContinuationsAsynchronously);
            b.IncomingStreamsReset += (_, s) => bIncoming.TrySetResult(s);
            a.OutgoingStreamsReset += (_, s) => aOutgoing.TrySetResult(s);
            a.IncomingStreamsReset += (_, s) => aIncoming.TrySetResult(s);
            a.Send(4, 51, [1]);
            a.ResetStreams(4);
            Assert.That(await bIncoming.Task.WaitAsync(Timeout), Is.EqualTo(new ushort[] { 4 }));
            Assert.That(await aOutgoing.Task.WaitAsync(Timeout), Is.EqualTo(new ushort[] { 4 }));
            Assert.That(await aIncoming.Task.WaitAsync(Timeout), Is.EqualTo(new ushort[] { 4 }), "B closed its side too");
        }
    }

    [Test]
    public async Task Buffered_amount_low_is_raised()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            var low = new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
            a.SetBufferedAmountLowThreshold(6, 1000);
            a.BufferedAmountLow += (_, s) => low.TrySetResult(s);
            a.Send(6, 53, new byte[1_000_000]);
            Assert.That(a.GetBufferedAmount(6), Is.GreaterThan(1000), "the congestion window holds most of it back");
            Assert.That(await low.Task.WaitAsync(Timeout), Is.EqualTo(6));
            Assert.That(a.GetBufferedAmount(6), Is.LessThanOrEqualTo(1000));
        }
    }

    [Test]
    public async Task Abort_is_reported_to_the_peer()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            a.Abort("bye");
            var info = await b.Completion.WaitAsync(Timeout);
            Assert.That(info.Reason, Is.EqualTo(SctpCloseReason.PeerAbort));
            Assert.That(info.Message, Does.Contain("bye"));
            Assert.That((await a.Completion.WaitAsync(Timeout)).Reason, Is.EqualTo(SctpCloseReason.LocalAbort));
            Assert.ThrowsAsync<SctpException>(async () => await b.SendAsync(0, 1, new byte[1]));
        }
    }

    [Test]
    public async Task Connect_with_no_peer_fails_with_sctp_exception()
    {
        await using var link = new InMemoryDatagramLink(new LinkImpairment(Loss: 1.0));
        await using var a = new SctpTransport(link.A, FastOptions() with { MaxInitRetransmissions = 2, RtoInitial = TimeSpan.FromMilliseconds(50), RtoMax = TimeSpan.FromMilliseconds(100) });
        var ex = Assert.ThrowsAsync<SctpException>(async () => await a.ConnectAsync().WaitAsync(Timeout));
        Assert.That(ex!.CloseInfo!.Reason, Is.EqualTo(SctpCloseReason.ConnectTimeout));
    }

    [Test]
    public async Task Garbage_injected_during_transfer_is_dropped()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            using var cts = new CancellationTokenSource();
            var rnd = new Random(1);
            var junk = Task.Run(async () =>
            {
                while (!cts.IsCancellationRequested)
                {
                    var g = new byte[rnd.Next(0, 1300)];
                    rnd.NextBytes(g);
                    link.B.Inject(g);
                    await Task.Yield();
                }
            });
            await TransferAsync(a, b, 60, 20_000);
            await cts.CancelAsync();
            await junk;
            Assert.That(b.GetMetrics().PacketsDropped, Is.GreaterThan(0));
            Assert.That(b.CloseInfo, Is.Null);
        }
    }

    [Test]
    public async Task Lower_transport_closing_closes_the_association()
    {
        var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await using (a)
        await using (b)
        {
            await link.DisposeAsync();
            Assert.That((await a.Completion.WaitAsync(Timeout)).Reason, Is.EqualTo(SctpCloseReason.TransportClosed));
        }
    }

    [Test]
    public async Task Dispose_stops_everything()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b) = await ConnectAsync(link.A, link.B);
        await a.DisposeAsync();
        await a.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => a.Send(0, 1, [1]));
        Assert.That((await b.Completion.WaitAsync(Timeout)).Reason, Is.EqualTo(SctpCloseReason.PeerAbort));
        await b.DisposeAsync();
    }
}
