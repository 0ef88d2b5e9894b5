using Microsoft.Extensions.Time.Testing;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Tests.Support;
using static P2p.WebRtc.Tests.Dtls.DtlsTestPeers;

namespace P2p.WebRtc.Tests.Dtls;

/// <summary>
/// The DTLS transport's timers in virtual time: <see cref="DtlsTransportOptions.TimeProvider"/> is a
/// <see cref="FakeTimeProvider"/> that only the test moves. Real time is only spent waiting, with a
/// guard, for what the virtual clock has already made due.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsClockTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task The_handshake_times_out_when_the_injected_clock_passes_HandshakeTimeout()
    {
        var clock = new FakeTimeProvider();
        await using var link = new InMemoryDatagramLink(); // nobody answers on B
        await using var client = Client(link.A, new DtlsTransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(30), TimeProvider = clock });

        var start = client.StartAsync();
        await UntilAsync(() => link.A.Sent >= 1); // the ClientHello: the handshake's timeout is armed
        clock.Advance(TimeSpan.FromSeconds(29.999));
        Assert.That(start.IsCompleted, Is.False, "not yet timed out in virtual time");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await start.WaitAsync(Wait));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.Timeout));
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Failed));
        });
        Assert.That(client.HandshakeThread!.Join(Wait), Is.True, "the handshake thread ends");
    }

    [Test]
    public async Task A_handshake_completes_while_the_injected_clock_stands_still()
    {
        // A lossless path needs no timer: nothing waits for the clock on the way to Connected.
        var clock = new FakeTimeProvider();
        var options = new DtlsTransportOptions { TimeProvider = clock };
        await using var link = new InMemoryDatagramLink();
        await using var client = Client(link.A, options);
        await using var server = Server(link.B, options);

        await ConnectAsync(client, server);

        Assert.Multiple(() =>
        {
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Connected));
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Connected));
        });
    }

    [Test]
    public async Task A_flight_is_not_retransmitted_until_the_injected_clock_says_so()
    {
        var clock = new FakeTimeProvider();
        await using var link = new InMemoryDatagramLink(); // nobody answers on B
        await using var client = Client(link.A, new DtlsTransportOptions
        {
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(50),
            HandshakeTimeout = TimeSpan.FromSeconds(30),
            TimeProvider = clock,
        });

        var start = client.StartAsync();
        await UntilAsync(() => link.A.Sent >= 1);
        // Six times BouncyCastle's own (wall-clock) 50 ms resend timeout passes in real time; on the
        // system clock that would be three retransmissions (50, 100, 200 ms apart).
        await Task.Delay(300);
        Assert.That(link.A.Sent, Is.EqualTo(1), "the receive wait runs on the injected clock, which stands still");

        clock.Advance(TimeSpan.FromMilliseconds(50));
        await UntilAsync(() => link.A.Sent >= 2);
        Assert.That(link.A.Sent, Is.EqualTo(2), "one retransmission once the virtual wait is over");

        clock.Advance(TimeSpan.FromSeconds(30));
        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await start.WaitAsync(Wait));
        Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.Timeout));
    }

    [Test]
    public async Task The_injected_clock_alone_cannot_hasten_BouncyCastles_wall_clock_resend_timer()
    {
        // Documents the limit of the injection (docs/webrtc/dtls.md, "Threads and clock"): BouncyCastle
        // re-derives the remaining resend wait from DateTime.UtcNow and asks again while its own timer
        // runs, so a virtual timeout before the wall-clock one does not retransmit. Fails (and the docs
        // must change) once a BouncyCastle version takes the time from elsewhere.
        var clock = new FakeTimeProvider();
        await using var link = new InMemoryDatagramLink(); // nobody answers on B
        await using var client = Client(link.A, new DtlsTransportOptions
        {
            InitialRetransmitTimeout = TimeSpan.FromSeconds(10),
            HandshakeTimeout = TimeSpan.FromSeconds(60),
            TimeProvider = clock,
        });

        var start = client.StartAsync();
        await UntilAsync(() => link.A.Sent >= 1);
        clock.Advance(TimeSpan.FromSeconds(10));
        await Task.Delay(200); // time for a retransmission that must not come
        Assert.That(link.A.Sent, Is.EqualTo(1), "10 virtual seconds, but BouncyCastle's 10 s have not passed on the wall clock");

        clock.Advance(TimeSpan.FromSeconds(50));
        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await start.WaitAsync(Wait));
        Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.Timeout), "our handshake timeout follows the injected clock");
    }

    [Test]
    public async Task A_null_clock_or_a_handshake_timeout_beyond_a_timers_range_is_rejected()
    {
        await using var link = new InMemoryDatagramLink();
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => Client(link.A, new DtlsTransportOptions { TimeProvider = null! }));
            Assert.Throws<ArgumentOutOfRangeException>(() => Client(link.A, new DtlsTransportOptions { HandshakeTimeout = TimeSpan.FromDays(50) }));
        });
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(Wait);
        while (!condition())
        {
            try
            {
                await Task.Delay(5, guard.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("The condition did not become true within the guard.");
            }
        }
    }
}
