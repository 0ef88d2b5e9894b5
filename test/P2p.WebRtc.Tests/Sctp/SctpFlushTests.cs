using P2p.WebRtc.Sctp;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Sctp;

/// <summary><see cref="SctpTransport.FlushAsync"/>: waiting until the peer acknowledged everything queued, before a close.</summary>
public class SctpFlushTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static SctpOptions FastOptions() => new()
    {
        RtoInitial = TimeSpan.FromMilliseconds(200),
        RtoMin = TimeSpan.FromMilliseconds(20),
        DelayedAckTimeout = TimeSpan.FromMilliseconds(20),
        MaxRetransmissions = 50,
    };

    [Test]
    public async Task Flush_completes_once_the_peer_acknowledged_every_message_over_a_lossy_link_and_a_close_then_loses_none()
    {
        await using var link = new InMemoryDatagramLink(new LinkImpairment(Loss: 0.05, Reorder: 0.05, Seed: 3));
        await using var a = new SctpTransport(link.A, FastOptions());
        await using var b = new SctpTransport(link.B, FastOptions());
        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(Timeout);
        const int count = 200;
        var received = 0;
        b.MessageReceived += (_, _) => Interlocked.Increment(ref received);

        for (var i = 0; i < count; i++)
        {
            await a.SendAsync(0, 53, new byte[16 * 1024]);
        }

        Assert.That(a.BufferedAmount + a.GetMetrics().BytesInFlight, Is.GreaterThan(0), "something is still on its way");
        await a.FlushAsync().WaitAsync(Timeout);
        var metrics = a.GetMetrics();
        Assert.That((metrics.BufferedAmount, metrics.BytesInFlight), Is.EqualTo((0L, 0L)));

        // acknowledged means received: aborting now loses nothing (the last events may still be on their way up)
        a.Abort("done");
        await b.Completion.WaitAsync(Timeout);
        Assert.That(Volatile.Read(ref received), Is.EqualTo(count));
        Assert.That(link.A.Dropped, Is.GreaterThan(0), "the link lost packets, which were retransmitted before the flush completed");
    }

    [Test]
    public async Task Flush_waits_while_the_peer_hears_nothing_and_fails_when_the_association_is_aborted()
    {
        await using var link = new InMemoryDatagramLink();
        var tapped = new TappedDatagramTransport(link.A);
        await using var a = new SctpTransport(tapped, FastOptions());
        await using var b = new SctpTransport(link.B, FastOptions());
        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(Timeout);

        tapped.DropOutgoing = _ => true;
        a.Send(0, 53, [1, 2, 3]);
        var flush = a.FlushAsync();
        var cancelled = a.FlushAsync(new CancellationTokenSource(TimeSpan.FromMilliseconds(300)).Token);
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(flush.IsCompleted, Is.False, "nothing was acknowledged");

        a.Abort("gone");
        var e = Assert.ThrowsAsync<SctpException>(async () => await flush.WaitAsync(Timeout));
        Assert.That(e!.Message, Does.Contain("not yet acknowledged"));
        Assert.That(async () => await a.FlushAsync(), Throws.TypeOf<SctpException>(), "and a flush after the close fails at once");
    }

    [Test]
    public async Task Flush_with_nothing_sent_completes_at_once_and_after_a_graceful_shutdown_too()
    {
        await using var link = new InMemoryDatagramLink();
        await using var a = new SctpTransport(link.A, FastOptions());
        await using var b = new SctpTransport(link.B, FastOptions());
        await Task.WhenAll(a.ConnectAsync(), b.ConnectAsync()).WaitAsync(Timeout);
        Assert.That(a.FlushAsync().IsCompletedSuccessfully, Is.True);

        a.Send(0, 53, [1]);
        await a.CloseAsync().WaitAsync(Timeout);
        Assert.That(a.FlushAsync().IsCompletedSuccessfully, Is.True, "SHUTDOWN delivered everything first");
    }
}
