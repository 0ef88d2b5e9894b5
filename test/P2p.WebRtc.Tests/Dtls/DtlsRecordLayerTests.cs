using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Tests.Support;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsRecordLayerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Application_data_and_alerts_reach_the_owner()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b, _, atB) = Layers(link, finalFlight: null);

        a.SendApplicationData("one"u8);
        a.SendAlert(1, DtlsAlertDescription.CloseNotify);

        await atB.WaitAsync(2);
        Assert.That(atB.Events, Is.EqualTo(new[] { "data:one", "alert:1/0" }));
        a.Dispose();
        b.Dispose();
    }

    [Test]
    public async Task An_authenticated_renegotiation_attempt_is_refused_with_no_renegotiation()
    {
        await using var link = new InMemoryDatagramLink();
        var (a, b, atA, atB) = Layers(link, finalFlight: null);
        // A ClientHello (handshake type 1) with a DTLS handshake header, inside the established epoch.
        var clientHello = new byte[40];
        clientHello[0] = 1;

        a.SendRecord(22, clientHello);

        await atA.WaitAsync(1);
        Assert.Multiple(() =>
        {
            Assert.That(atA.Events, Is.EqualTo(new[] { "alert:1/100" }), "warning no_renegotiation (RFC 8827 §6.5)");
            Assert.That(atB.Events, Is.Empty);
        });
        a.Dispose();
        b.Dispose();
    }

    [Test]
    public async Task A_server_retransmits_its_final_flight_once_per_repeated_client_flight()
    {
        await using var link = new InMemoryDatagramLink();
        var tap = new TappedDatagramTransport(link.B);
        var finished = new byte[24];
        finished[0] = 20;
        var (client, server, _, atServer) = Layers(link, finalFlight: finished, serverLower: tap, retransmitInterval: TimeSpan.FromSeconds(30));
        // The client's repeated flight: Certificate, ClientKeyExchange in epoch 0 (plaintext).
        var certificate = PlainHandshake(11, sequence: 9);
        var keyExchange = PlainHandshake(16, sequence: 10);

        link.B.Inject(certificate);
        link.B.Inject(keyExchange); // same flight: no second retransmission within the interval
        // A marker from the client, processed after both injected records, proves they were handled.
        client.SendApplicationData("marker"u8);
        await atServer.WaitAsync(1);

        var sent = tap.Sent;
        Assert.Multiple(() =>
        {
            Assert.That(sent, Has.Count.EqualTo(2), "one retransmission: two datagrams");
            Assert.That(sent[0][0], Is.EqualTo(20), "ChangeCipherSpec first");
            Assert.That(sent[0][3..5], Is.EqualTo(new byte[] { 0, 0 }), "in epoch 0");
            Assert.That(sent[0][5..11], Is.EqualTo(new byte[] { 0, 0, 0, 0, 0, 5 }), "with a fresh epoch-0 sequence number");
            Assert.That(sent[0][14], Is.EqualTo(22), "then the Finished in the same datagram");
            Assert.That(sent[0][17..19], Is.EqualTo(new byte[] { 0, 1 }), "in epoch 1");
            Assert.That(sent[1][0], Is.EqualTo(22), "and the Finished alone");
            Assert.That(sent[1][3..11], Is.EqualTo(new byte[] { 0, 1, 0, 0, 0, 0, 0, 2 }), "with the next epoch-1 sequence number");
            Assert.That(server.Retransmissions, Is.EqualTo(1));
        });
        client.Dispose();
        server.Dispose();
    }

    [Test]
    public async Task The_final_flight_retransmission_is_rate_limited_on_the_injected_clock()
    {
        var clock = new FakeTimeProvider();
        await using var link = new InMemoryDatagramLink();
        var tap = new TappedDatagramTransport(link.B);
        var finished = new byte[24];
        finished[0] = 20;
        var (client, server, _, atServer) = Layers(link, finalFlight: finished, serverLower: tap, retransmitInterval: TimeSpan.FromMilliseconds(500), time: clock);

        async Task RepeatClientFlightAsync(long sequence)
        {
            link.B.Inject(PlainHandshake(11, sequence));
            client.SendApplicationData("marker"u8); // processed after the injected record
            await atServer.WaitAsync(1);
        }

        await RepeatClientFlightAsync(9);
        Assert.That(server.Retransmissions, Is.EqualTo(1));

        clock.Advance(TimeSpan.FromMilliseconds(499));
        await RepeatClientFlightAsync(10);
        Assert.That(server.Retransmissions, Is.EqualTo(1), "within the interval on the injected clock");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        await RepeatClientFlightAsync(11);
        Assert.Multiple(() =>
        {
            Assert.That(server.Retransmissions, Is.EqualTo(2), "the interval has passed on the injected clock");
            Assert.That(tap.Sent, Has.Count.EqualTo(4), "two datagrams per retransmission");
        });
        client.Dispose();
        server.Dispose();
    }

    [Test]
    public async Task Unauthenticated_epoch0_messages_other_than_the_client_flight_are_ignored()
    {
        await using var link = new InMemoryDatagramLink();
        var tap = new TappedDatagramTransport(link.B);
        var (client, server, _, atServer) = Layers(link, finalFlight: new byte[24], serverLower: tap);

        link.B.Inject(PlainHandshake(1, sequence: 3));  // a stray ClientHello
        link.B.Inject(PlainHandshake(0, sequence: 4));  // HelloRequest (unauthenticated)
        client.SendApplicationData("marker"u8);
        await atServer.WaitAsync(1);

        Assert.Multiple(() =>
        {
            Assert.That(tap.Sent, Is.Empty);
            Assert.That(server.DroppedRecords, Is.EqualTo(2));
        });
        client.Dispose();
        server.Dispose();
    }

    private static byte[] PlainHandshake(byte handshakeType, long sequence)
    {
        var record = new byte[13 + 12];
        record[0] = 22;
        record[1] = 0xFE;
        record[2] = 0xFD;
        record[10] = (byte)sequence;
        record[12] = 12;
        record[13] = handshakeType;
        return record;
    }

    private static (DtlsRecordLayer Client, DtlsRecordLayer Server, Owner AtClient, Owner AtServer) Layers(
        InMemoryDatagramLink link,
        byte[]? finalFlight,
        P2p.WebRtc.Net.IDatagramTransport? serverLower = null,
        TimeSpan? retransmitInterval = null,
        TimeProvider? time = null)
    {
        var clientKey = RandomNumberGenerator.GetBytes(16);
        var serverKey = RandomNumberGenerator.GetBytes(16);
        var clientSalt = RandomNumberGenerator.GetBytes(4);
        var serverSalt = RandomNumberGenerator.GetBytes(4);
        var atClient = new Owner();
        var atServer = new Owner();
        var client = new DtlsRecordLayer(
            link.A, new AesGcmRecordCipher(clientKey, clientSalt, serverKey, serverSalt), 1, 1, default, 5, null,
            TimeSpan.Zero, atClient, NullLogger.Instance, time);
        var server = new DtlsRecordLayer(
            serverLower ?? link.B, new AesGcmRecordCipher(serverKey, serverSalt, clientKey, clientSalt), 1, 1, default, 5, finalFlight,
            retransmitInterval ?? TimeSpan.Zero, atServer, NullLogger.Instance, time);
        link.A.SetReceiveHandler(client.ProcessDatagram);
        link.B.SetReceiveHandler(server.ProcessDatagram);
        return (client, server, atClient, atServer);
    }

    private sealed class Owner : IDtlsRecordLayerOwner
    {
        private readonly ConcurrentQueue<string> _events = new();
        private readonly SemaphoreSlim _signal = new(0);

        public IReadOnlyList<string> Events => _events.ToArray();

        public async Task WaitAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.That(await _signal.WaitAsync(Wait), Is.True, "event not received in time");
            }
        }

        public void OnApplicationData(ReadOnlySpan<byte> data)
        {
            _events.Enqueue("data:" + System.Text.Encoding.ASCII.GetString(data));
            _signal.Release();
        }

        public void OnAlert(byte level, byte description)
        {
            _events.Enqueue($"alert:{level}/{description}");
            _signal.Release();
        }
    }
}
