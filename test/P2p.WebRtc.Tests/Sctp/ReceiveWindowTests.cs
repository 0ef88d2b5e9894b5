using System.Collections.Concurrent;
using P2p.WebRtc.Sctp;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary>
/// Receive-side flow control (RFC 9260 §6.2): bytes a reader holds unconsumed count against the advertised window, so a
/// slow reader closes it and the sender waits; consuming sends a window update; zero window probes that the receiver
/// drops are not association errors (§6.1 A).
/// </summary>
public class ReceiveWindowTests
{
    private const int Window = 64 * 1024;
    private const int Size = 8 * 1024;
    private const int Count = 100;

    /// <summary>B holds every message it takes; A queues <see cref="Count"/> messages at once.</summary>
    private static (SctpSimulation Sim, List<SctpMessage> Held) HoldingReceiver()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options() with { ReceiveWindow = Window });
        var held = new List<SctpMessage>();
        sim.OnEvent = (isA, e) =>
        {
            if (!isA && e.Type == SctpEventType.MessageReceived)
            {
                sim.B.HoldReceived(e.Message.Payload.Length);
                held.Add(e.Message);
            }
        };
        sim.ConnectBoth();
        for (var i = 0; i < Count; i++)
        {
            sim.A.SendOk(sim, 1, 53, SctpTestUtil.Payload(Size, i));
        }

        return (sim, held);
    }

    [Test]
    public void A_reader_that_holds_what_it_receives_closes_the_window_and_the_sender_waits_for_minutes_without_failing()
    {
        var (sim, held) = HoldingReceiver();
        sim.RunFor(TimeSpan.FromMinutes(10));

        Assert.Multiple(() =>
        {
            Assert.That(held.Sum(m => m.Payload.Length), Is.LessThanOrEqualTo(Window), "no more than the window was taken");
            Assert.That(held, Has.Count.GreaterThanOrEqualTo(Window / Size - 1), "the window was used");
            Assert.That(sim.B.GetMetrics().ReceiveHeldBytes, Is.EqualTo(held.Sum(m => m.Payload.Length)));
            Assert.That(sim.A.TotalBufferedAmount, Is.GreaterThan(0), "the rest waits at the sender");
            Assert.That(sim.A.State, Is.EqualTo(SctpAssociationState.Established), "ten minutes of a closed window are not a failure");
            Assert.That(sim.EventsA.Closed(), Is.Null);
        });
    }

    [Test]
    public void Consuming_reopens_the_window_at_once_and_every_message_arrives_in_order()
    {
        var (sim, held) = HoldingReceiver();
        sim.RunFor(TimeSpan.FromMinutes(2)); // long enough for the sender's retransmission timer to back off to a minute

        var consumed = 0;
        var started = sim.Now;
        while (consumed < Count && sim.Now - started < TimeSpan.FromSeconds(10))
        {
            var releasable = held.Count - consumed;
            if (releasable > 0)
            {
                sim.B.ReleaseReceived(held.Skip(consumed).Take(releasable).Sum(m => (long)m.Payload.Length));
                consumed += releasable;
            }

            sim.RunFor(TimeSpan.FromMilliseconds(1));
        }

        Assert.Multiple(() =>
        {
            Assert.That(consumed, Is.EqualTo(Count), $"all arrived within {sim.Now - started} of virtual time after the reader caught up");
            Assert.That(sim.Now - started, Is.LessThan(TimeSpan.FromSeconds(1)), "window updates, not backed-off timeouts, restarted the sender");
            for (var i = 0; i < held.Count; i++)
            {
                Assert.That(SctpTestUtil.Sha(held[i].Payload.Span), Is.EqualTo(SctpTestUtil.Sha(SctpTestUtil.Payload(Size, i))), $"message {i}");
            }

            Assert.That(sim.B.HeldBytes, Is.Zero);
        });
    }

    [Test]
    public void A_message_larger_than_the_window_still_arrives_whole()
    {
        var sim = new SctpSimulation(SctpTestUtil.Options(), SctpTestUtil.Options() with { ReceiveWindow = 16 * 1024 });
        sim.OnEvent = (isA, e) =>
        {
            if (!isA && e.Type == SctpEventType.MessageReceived)
            {
                sim.B.HoldReceived(e.Message.Payload.Length);
            }
        };
        sim.ConnectBoth();
        var payload = SctpTestUtil.Payload(256 * 1024, 7);
        sim.A.SendOk(sim, 0, 53, payload);
        Assert.That(sim.RunUntil(() => sim.EventsB.Messages().Any(), TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(SctpTestUtil.Sha(sim.EventsB.Messages().Single().Payload.Span), Is.EqualTo(SctpTestUtil.Sha(payload)));
    }

    [Test]
    public async Task Over_a_real_clock_a_deferred_reader_holds_the_sender_back_and_releasing_lets_everything_through()
    {
        var options = new SctpOptions
        {
            ReceiveWindow = 256 * 1024,
            RtoInitial = TimeSpan.FromMilliseconds(200),
            RtoMin = TimeSpan.FromMilliseconds(20),
            DelayedAckTimeout = TimeSpan.FromMilliseconds(20),
        };
        await using var link = new InMemoryDatagramLink();
        await using var a = new SctpTransport(link.A, options);
        await using var b = new SctpTransport(link.B, options);
        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(TimeSpan.FromSeconds(30));

        const int messages = 40;
        const int size = 64 * 1024;
        var queue = new ConcurrentQueue<(SctpMessage Message, SctpReceiveCredit Credit)>();
        var arrived = new SemaphoreSlim(0);
        b.MessageReceived += (_, m) =>
        {
            queue.Enqueue((m, b.DeferCurrentMessage()));
            arrived.Release();
        };
        for (var i = 0; i < messages; i++)
        {
            a.Send(0, 53, SctpTestUtil.Payload(size, i));
        }

        // The window (4 messages) fills; then nothing more can arrive until something is consumed.
        for (var i = 0; i < 4; i++)
        {
            Assert.That(await arrived.WaitAsync(TimeSpan.FromSeconds(30)), Is.True, $"message {i}");
        }

        Assert.That(await arrived.WaitAsync(TimeSpan.FromMilliseconds(300)), Is.False, "a fifth message does not fit while the reader holds four");
        Assert.That(b.GetMetrics().ReceiveHeldBytes, Is.EqualTo(4L * size));
        Assert.That(a.BufferedAmount, Is.GreaterThan(0));

        var taken = new List<SctpMessage>();
        while (taken.Count < messages)
        {
            while (queue.TryDequeue(out var entry))
            {
                taken.Add(entry.Message);
                entry.Credit.Release();
            }

            if (taken.Count < messages)
            {
                Assert.That(await arrived.WaitAsync(TimeSpan.FromSeconds(30)), Is.True, $"message {taken.Count} after releasing");
            }
        }

        Assert.That(taken.Select(m => SctpTestUtil.Sha(m.Payload.Span)), Is.EqualTo(Enumerable.Range(0, messages).Select(i => SctpTestUtil.Sha(SctpTestUtil.Payload(size, i)))));
        Assert.That(b.GetMetrics().ReceiveHeldBytes, Is.Zero);
        Assert.Throws<InvalidOperationException>(() => b.DeferCurrentMessage(), "only inside a handler");
    }
}
