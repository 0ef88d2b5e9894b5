using Microsoft.Extensions.Logging;
using P2p.Testing;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Testing.Transports;
using P2p.WebRtc.Net;
using P2p.WebRtc.Tests.Support;
using static P2p.WebRtc.Tests.Dtls.DtlsTestPeers;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsTransportTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [TestCase(true)]
    [TestCase(false)]
    public async Task Handshake_in_either_role_assignment_then_many_records_flow_both_ways_intact(bool clientOnA)
    {
        await using var link = new InMemoryDatagramLink();
        await using var a = clientOnA ? Client(link.A) : Server(link.A);
        await using var b = clientOnA ? Server(link.B) : Client(link.B);
        var atA = new ReceivedDatagrams();
        var atB = new ReceivedDatagrams();
        a.SetReceiveHandler(atA.Handler);
        b.SetReceiveHandler(atB.Handler);

        await ConnectAsync(a, b);

        Assert.Multiple(() =>
        {
            Assert.That(a.State, Is.EqualTo(DtlsTransportState.Connected));
            Assert.That(b.State, Is.EqualTo(DtlsTransportState.Connected));
            Assert.That(a.CipherSuite, Is.EqualTo("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
            Assert.That(b.CipherSuite, Is.EqualTo(a.CipherSuite));
            Assert.That(a.SrtpProtectionProfile, Is.EqualTo("SRTP_AEAD_AES_128_GCM"), "use_srtp: the first profile both support");
            Assert.That(b.SrtpProtectionProfile, Is.EqualTo(a.SrtpProtectionProfile));
            Assert.That(a.RemoteCertificate.ToArray(), Is.EqualTo(b.LocalCertificate.RawData.ToArray()));
            Assert.That(b.RemoteCertificate.ToArray(), Is.EqualTo(a.LocalCertificate.RawData.ToArray()));
            Assert.That(a.MaxDatagramSize, Is.EqualTo(1200 - 13 - 24));
        });

        const int Count = 400;
        var sizes = new[] { 0, 1, 17, 100, 600, a.MaxDatagramSize };
        for (var i = 0; i < Count; i++)
        {
            a.Send(Payload(i, sizes[i % sizes.Length]));
            b.Send(Payload(i + 100_000, sizes[(i + 3) % sizes.Length]));
        }

        await atB.WaitForCountAsync(Count, Wait);
        await atA.WaitForCountAsync(Count, Wait);
        var fromA = atB.Items;
        var fromB = atA.Items;
        for (var i = 0; i < Count; i++)
        {
            Assert.That(fromA[i], Is.EqualTo(Payload(i, sizes[i % sizes.Length])), $"record {i} from A");
            Assert.That(fromB[i], Is.EqualTo(Payload(i + 100_000, sizes[(i + 3) % sizes.Length])), $"record {i} from B");
        }
    }

    [Test]
    public async Task Client_refuses_a_server_whose_certificate_does_not_match_the_sdp_fingerprint()
    {
        await using var link = new InMemoryDatagramLink();
        await using var client = Client(link.A, expectServer: OtherCertificate.Fingerprint);
        await using var server = Server(link.B);
        var serverReceived = new ReceivedDatagrams();
        server.SetReceiveHandler(serverReceived.Handler);
        var clientClosed = ClosedEvent(client);

        var clientStart = client.StartAsync();
        var serverStart = server.StartAsync();

        var clientError = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await clientStart.WaitAsync(Wait));
        var serverError = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await serverStart.WaitAsync(Wait));
        Assert.Multiple(async () =>
        {
            Assert.That(clientError!.Reason, Is.EqualTo(DtlsHandshakeFailure.RemoteFingerprintMismatch));
            Assert.That(clientError.Alert, Is.EqualTo(DtlsAlertDescription.BadCertificate));
            Assert.That(clientError.Message, Does.Contain(ServerCertificate.Fingerprint.ToString()).And.Contain(OtherCertificate.Fingerprint.ToString()));
            Assert.That(serverError!.Reason, Is.EqualTo(DtlsHandshakeFailure.AlertReceived));
            Assert.That(serverError.Alert, Is.EqualTo(DtlsAlertDescription.BadCertificate));
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Failed));
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Failed));
            Assert.That((await clientClosed.WaitAsync(Wait)).Error, Is.SameAs(clientError));
            Assert.That(() => client.Send([1, 2, 3]), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(serverReceived.Count, Is.Zero);
        });
    }

    [Test]
    public async Task Server_refuses_a_client_whose_certificate_does_not_match_the_sdp_fingerprint()
    {
        await using var link = new InMemoryDatagramLink();
        await using var client = Client(link.A);
        await using var server = Server(link.B, expectClient: OtherCertificate.Fingerprint);

        var clientStart = client.StartAsync();
        var serverStart = server.StartAsync();

        var serverError = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await serverStart.WaitAsync(Wait));
        var clientError = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await clientStart.WaitAsync(Wait));
        Assert.Multiple(() =>
        {
            Assert.That(serverError!.Reason, Is.EqualTo(DtlsHandshakeFailure.RemoteFingerprintMismatch));
            Assert.That(serverError.Message, Does.Contain(ClientCertificate.Fingerprint.ValueText));
            Assert.That(clientError!.Reason, Is.EqualTo(DtlsHandshakeFailure.AlertReceived));
            Assert.That(clientError.Alert, Is.EqualTo(DtlsAlertDescription.BadCertificate));
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Failed));
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Failed));
        });
    }

    [Test]
    public async Task Fingerprints_with_several_hash_functions_use_the_strongest_one()
    {
        await using var link = new InMemoryDatagramLink();
        // The server's sha-512 fingerprint matches; the (weaker) sha-1 one is wrong and must be ignored.
        var serverFingerprints = new[] { OtherCertificate.GetFingerprint(DtlsFingerprint.Sha1), ServerCertificate.GetFingerprint(DtlsFingerprint.Sha512) };
        await using var client = new DtlsTransport(link.A, DtlsRole.Client, ClientCertificate, serverFingerprints, FastOptions);
        await using var server = Server(link.B);
        await ConnectAsync(client, server);
        Assert.That(client.State, Is.EqualTo(DtlsTransportState.Connected));
    }

    [Test]
    public void Constructor_rejects_remote_fingerprints_with_no_supported_hash_function()
    {
        var link = new InMemoryDatagramLink();
        var md5 = DtlsFingerprint.Parse("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
        Assert.Multiple(() =>
        {
            Assert.That(() => new DtlsTransport(link.A, DtlsRole.Client, ClientCertificate, [md5]), Throws.ArgumentException);
            Assert.That(() => new DtlsTransport(link.A, DtlsRole.Client, ClientCertificate, []), Throws.ArgumentException);
        });
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task Handshake_completes_through_20_percent_loss(int seed) =>
        await HandshakeThroughImpairedLinkAsync(new LinkImpairment(Loss: 0.2, Seed: seed));

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public async Task Handshake_completes_through_loss_duplicates_and_reordering(int seed) =>
        await HandshakeThroughImpairedLinkAsync(new LinkImpairment(Loss: 0.05, Duplicate: 0.1, Reorder: 0.1, Seed: seed));

    private static async Task HandshakeThroughImpairedLinkAsync(LinkImpairment impairment)
    {
        await using var link = new InMemoryDatagramLink(impairment);
        var log = new TestLog(LogLevel.Trace);
        await using var client = Client(link.A, logger: log.CreateLogger("client"));
        await using var server = Server(link.B, logger: log.CreateLogger("server"));
        var atServer = new ReceivedDatagrams();
        server.SetReceiveHandler(atServer.Handler);

        try
        {
            await ConnectAsync(client, server);
        }
        catch (TimeoutException)
        {
            await TestContext.Out.WriteLineAsync(log.ToString());
            throw;
        }

        if (impairment.Loss >= 0.2)
        {
            Assert.That(link.A.Dropped + link.B.Dropped, Is.GreaterThan(0), "the link should have dropped something");
        }

        // Data still gets through (some records are lost: DTLS is unreliable; SCTP retransmits).
        for (var i = 0; i < 50; i++)
        {
            client.Send(Payload(i, 200));
        }

        await atServer.WaitForCountAsync(20, Wait);
        Assert.That(atServer.Items, Is.All.Length.EqualTo(200));
    }

    [Test]
    public async Task Server_retransmits_its_lost_final_flight_after_its_handshake_completed()
    {
        await using var link = new InMemoryDatagramLink();
        var serverSide = new TappedDatagramTransport(link.B);
        var droppedFinalFlights = 0;
        // Drop the server's first two ChangeCipherSpec+Finished flights (records of epoch 1, or CCS).
        serverSide.DropOutgoing = datagram =>
            (datagram[0] == 20 || (datagram[0] == 22 && datagram[3] == 0 && datagram[4] == 1))
            && Interlocked.Increment(ref droppedFinalFlights) <= 2;
        await using var client = Client(link.A);
        await using var server = Server(serverSide);

        await ConnectAsync(client, server);

        Assert.Multiple(() =>
        {
            Assert.That(droppedFinalFlights, Is.GreaterThanOrEqualTo(2));
            Assert.That(server.FinalFlightRetransmissions, Is.GreaterThanOrEqualTo(1), "the connected server must answer the client's repeated flight");
        });
        var atClient = new ReceivedDatagrams();
        client.SetReceiveHandler(atClient.Handler);
        server.Send([42]);
        await atClient.WaitForCountAsync(1, Wait);
    }

    [Test]
    public async Task Server_retransmits_a_lost_Finished_when_the_client_already_got_its_ChangeCipherSpec()
    {
        await using var link = new InMemoryDatagramLink();
        var serverSide = new TappedDatagramTransport(link.B);
        var droppedFinished = 0;
        // Only the server's first Finished (epoch 1 handshake record) is lost: the client has
        // switched to epoch 1 and must still accept the retransmitted Finished.
        serverSide.DropOutgoing = datagram =>
            datagram[0] == 22 && datagram[3] == 0 && datagram[4] == 1 && Interlocked.Increment(ref droppedFinished) == 1;
        await using var client = Client(link.A);
        await using var server = Server(serverSide);

        await ConnectAsync(client, server);

        Assert.Multiple(() =>
        {
            Assert.That(droppedFinished, Is.GreaterThanOrEqualTo(1));
            Assert.That(server.FinalFlightRetransmissions, Is.GreaterThanOrEqualTo(1));
        });
    }

    [Test]
    public async Task Server_survives_a_ChangeCipherSpec_that_overtakes_the_CertificateVerify()
    {
        await using var link = new InMemoryDatagramLink();
        var clientSide = new TappedDatagramTransport(link.A);
        byte[]? heldCertificateVerify = null;
        // The client's first flight 5 goes out as Certificate, ClientKeyExchange, ChangeCipherSpec,
        // CertificateVerify, Finished: the CertificateVerify (handshake type 15) is delayed.
        clientSide.DropOutgoing = datagram =>
        {
            if (heldCertificateVerify is null && datagram[0] == 22 && datagram[3] == 0 && datagram[4] == 0 && datagram[13] == 15)
            {
                heldCertificateVerify = datagram;
                return true;
            }

            if (heldCertificateVerify is { } held && datagram[0] == 22 && datagram[4] == 1)
            {
                link.A.Send(held);
                heldCertificateVerify = [];
            }

            return false;
        };
        var slow = new DtlsTransportOptions { InitialRetransmitTimeout = TimeSpan.FromSeconds(5) };
        await using var client = Client(clientSide, slow);
        await using var server = Server(link.B, slow);

        // With retransmissions 5 s apart, only a first-try success finishes in time.
        await Task.WhenAll(client.StartAsync(), server.StartAsync()).WaitAsync(TimeSpan.FromSeconds(4));

        Assert.That(heldCertificateVerify, Is.Empty, "the CertificateVerify was delayed behind the ChangeCipherSpec");
    }

    [Test]
    public async Task Client_completes_a_handshake_with_a_server_that_sends_HelloVerifyRequest()
    {
        await using var link = new InMemoryDatagramLink();
        var serverSide = new TappedDatagramTransport(link.B);
        await using var client = Client(link.A);
        await using var server = Server(serverSide, FastOptions with { UseHelloVerifyRequest = true });

        await ConnectAsync(client, server);

        // RFC 6347 §4.2.1: handshake type 3 = hello_verify_request, in the server's first datagram.
        var first = serverSide.Sent[0];
        Assert.That(first[0] == 22 && first[13] == 3, Is.True, "the server's first message should be a HelloVerifyRequest");
        var atServer = new ReceivedDatagrams();
        server.SetReceiveHandler(atServer.Handler);
        client.Send([7, 7, 7]);
        await atServer.WaitForCountAsync(1, Wait);
    }

    [Test]
    public async Task Handshake_times_out_when_the_peer_never_answers()
    {
        await using var link = new InMemoryDatagramLink(); // nobody listens on B
        // 1.2 s: room for retransmissions (50 ms, doubling) even when building the first ClientHello of a busy test
        // process takes a few hundred milliseconds (once, in CI, 400 ms left room for none).
        await using var client = Client(link.A, FastOptions with { HandshakeTimeout = TimeSpan.FromMilliseconds(1200) });
        var closed = ClosedEvent(client);

        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await client.StartAsync().WaitAsync(Wait));

        Assert.Multiple(async () =>
        {
            Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.Timeout));
            Assert.That(error.Message, Does.Contain("1.2 s"));
            Assert.That((await closed.WaitAsync(Wait)).Error, Is.SameAs(error));
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Failed));
            Assert.That(link.A.Sent, Is.GreaterThan(1), "the ClientHello should have been retransmitted");
        });
        Assert.That(client.HandshakeThread!.Join(Wait), Is.True, "the handshake thread must end");
    }

    [Test]
    public async Task Cancelling_StartAsync_fails_the_transport_and_ends_the_handshake_thread()
    {
        await using var link = new InMemoryDatagramLink();
        await using var server = Server(link.B); // waits for a ClientHello that never comes
        using var cts = new CancellationTokenSource();
        var closed = ClosedEvent(server);

        var start = server.StartAsync(cts.Token);
        await cts.CancelAsync();

        Assert.That(async () => await start.WaitAsync(Wait), Throws.InstanceOf<OperationCanceledException>());
        Assert.Multiple(async () =>
        {
            Assert.That(start.IsCanceled, Is.True);
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Failed));
            Assert.That((await closed.WaitAsync(Wait)).Error, Is.InstanceOf<OperationCanceledException>());
            Assert.That(server.HandshakeThread!.Join(Wait), Is.True);
        });
    }

    [Test]
    public async Task Disposing_during_the_handshake_fails_StartAsync_and_ends_the_handshake_thread()
    {
        await using var link = new InMemoryDatagramLink();
        var client = Client(link.A);
        var closed = ClosedEvent(client);
        var start = client.StartAsync();

        await client.DisposeAsync();

        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await start.WaitAsync(Wait));
        Assert.Multiple(async () =>
        {
            Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.TransportClosed));
            Assert.That(client.HandshakeThread!.IsAlive, Is.False, "DisposeAsync waits for the handshake thread");
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Closed));
            Assert.That((await closed.WaitAsync(Wait)).Error, Is.Null);
        });
    }

    [Test]
    public async Task Lower_transport_closing_during_the_handshake_fails_it_with_TransportClosed()
    {
        var link = new InMemoryDatagramLink();
        await using var client = Client(link.A);
        var start = client.StartAsync();

        await link.DisposeAsync();

        var error = Assert.ThrowsAsync<DtlsHandshakeException>(async () => await start.WaitAsync(Wait));
        Assert.That(error!.Reason, Is.EqualTo(DtlsHandshakeFailure.TransportClosed));
        Assert.That(error.Message, Does.Contain("lower transport"));
    }

    [Test]
    public async Task Lower_transport_closing_under_a_connected_session_closes_it_with_an_error()
    {
        var link = new InMemoryDatagramLink();
        await using var client = Client(link.A);
        await using var server = Server(link.B);
        await ConnectAsync(client, server);
        var closed = ClosedEvent(client);

        await link.DisposeAsync();

        var args = await closed.WaitAsync(Wait);
        Assert.Multiple(() =>
        {
            Assert.That(args.Error, Is.InstanceOf<DtlsException>());
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Failed));
            Assert.That(() => client.Send([1]), Throws.InstanceOf<ObjectDisposedException>());
        });
    }

    [Test]
    public async Task Close_notify_closes_the_peer_without_error()
    {
        await using var link = new InMemoryDatagramLink();
        await using var client = Client(link.A);
        await using var server = Server(link.B);
        await ConnectAsync(client, server);
        var serverClosed = ClosedEvent(server);
        var clientClosed = ClosedEvent(client);

        await client.CloseAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((await serverClosed.WaitAsync(Wait)).Error, Is.Null);
            Assert.That((await clientClosed.WaitAsync(Wait)).Error, Is.Null);
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Closed));
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Closed));
            Assert.That(client.IsClosed && server.IsClosed, Is.True);
            Assert.That(() => server.Send([1]), Throws.InstanceOf<ObjectDisposedException>());
        });
    }

    [Test]
    public async Task A_fatal_alert_from_the_peer_fails_the_session_with_that_alert()
    {
        await using var link = new InMemoryDatagramLink();
        await using var client = Client(link.A);
        await using var server = Server(link.B);
        await ConnectAsync(client, server);
        var clientClosed = ClosedEvent(client);

        server.SendAlert(2, DtlsAlertDescription.InternalError);

        var error = (await clientClosed.WaitAsync(Wait)).Error;
        Assert.Multiple(() =>
        {
            Assert.That(error, Is.InstanceOf<DtlsException>());
            Assert.That(((DtlsException)error!).Alert, Is.EqualTo(DtlsAlertDescription.InternalError));
            Assert.That(client.State, Is.EqualTo(DtlsTransportState.Failed));
        });
    }

    [Test]
    public async Task Garbage_truncated_replayed_and_forged_datagrams_are_dropped_and_data_keeps_flowing()
    {
        await using var link = new InMemoryDatagramLink();
        var clientSide = new TappedDatagramTransport(link.A);
        await using var client = Client(clientSide);
        await using var server = Server(link.B);
        var atServer = new ReceivedDatagrams();
        server.SetReceiveHandler(atServer.Handler);
        await ConnectAsync(client, server);

        client.Send(Payload(1, 300));
        await atServer.WaitForCountAsync(1, Wait);
        var record = clientSide.Sent[^1];
        Assert.That(record[0], Is.EqualTo(23), "an application_data record");

        var random = new Random(7);
        List<byte[]> injected =
        [
            [],                                   // empty
            [0x00, 0x01, 0x00, 0x00],             // STUN-like first byte (RFC 7983: not DTLS)
            [0x80, 0x60, 0x00, 0x01],             // RTP-like first byte
            record,                               // exact replay
            record[..20],                         // truncated record
            record[..5],                          // truncated header
            Flip(record, record.Length - 1),      // bad tag
            Flip(record, 30),                     // bad ciphertext
            Flip(record, 12),                     // length field changed
            WithEpoch(record, 2),                 // future epoch
            WithEpoch(record, 0),                 // old epoch, wrong type for it
            WithSequence(record, 1_000_000),      // forged sequence number (fails authentication)
        ];
        for (var i = 0; i < 30; i++)
        {
            var garbage = new byte[random.Next(1, 1300)];
            random.NextBytes(garbage);
            garbage[0] = (byte)random.Next(20, 64);
            injected.Add(garbage);
        }

        foreach (var datagram in injected)
        {
            link.B.Inject(datagram);
        }

        for (var i = 2; i <= 101; i++)
        {
            client.Send(Payload(i, 300));
        }

        await atServer.WaitForCountAsync(101, Wait);
        Assert.Multiple(() =>
        {
            Assert.That(atServer.Items.Select(d => BitConverter.ToInt32(d)), Is.EqualTo(Enumerable.Range(1, 101)), "nothing injected was delivered, nothing real was lost");
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Connected));
            Assert.That(server.IgnoredDatagrams, Is.GreaterThanOrEqualTo(3), "non-DTLS first bytes are ignored");
            Assert.That(server.DroppedRecords, Is.GreaterThanOrEqualTo(9), "replayed/forged/truncated records are dropped");
        });
    }

    [Test]
    public async Task Records_arriving_out_of_order_within_the_window_are_delivered_once_and_replays_are_not()
    {
        await using var link = new InMemoryDatagramLink();
        var clientSide = new TappedDatagramTransport(link.A);
        await using var client = Client(clientSide);
        await using var server = Server(link.B);
        var atServer = new ReceivedDatagrams();
        server.SetReceiveHandler(atServer.Handler);
        await ConnectAsync(client, server);

        var before = clientSide.Sent.Count;
        clientSide.DropOutgoing = _ => true; // capture without delivering
        for (var i = 0; i < 10; i++)
        {
            client.Send(Payload(i, 64));
        }

        var records = clientSide.Sent.Skip(before).ToArray();
        foreach (var index in new[] { 9, 3, 0, 5, 5, 1, 2, 9, 4, 6, 8, 7, 0 })
        {
            link.B.Inject(records[index]);
        }

        await atServer.WaitForCountAsync(10, Wait);
        link.B.Inject(records[4]);
        clientSide.DropOutgoing = null;
        client.Send(Payload(10, 64));
        await atServer.WaitForCountAsync(11, Wait);
        Assert.That(
            atServer.Items.Select(d => BitConverter.ToInt32(d)),
            Is.EqualTo(new[] { 9, 3, 0, 5, 1, 2, 4, 6, 8, 7, 10 }));
    }

    [Test]
    public async Task After_dispose_the_lower_transport_no_longer_reaches_the_handler()
    {
        await using var link = new InMemoryDatagramLink();
        var clientSide = new TappedDatagramTransport(link.A);
        await using var client = Client(clientSide);
        var server = Server(link.B);
        var atServer = new ReceivedDatagrams();
        server.SetReceiveHandler(atServer.Handler);
        await ConnectAsync(client, server);
        client.Send([1]);
        await atServer.WaitForCountAsync(1, Wait);

        await server.DisposeAsync();
        link.B.Inject(clientSide.Sent[^1]);
        // A probe handler on the lower endpoint receives a marker injected after the record: once
        // it arrives, the record was processed too, and the disposed server must not have seen it.
        var probe = new ReceivedDatagrams();
        link.B.SetReceiveHandler(probe.Handler);
        link.B.Inject([0xFF]);
        await probe.WaitForCountAsync(1, Wait);
        Assert.Multiple(() =>
        {
            Assert.That(atServer.Count, Is.EqualTo(1));
            Assert.That(server.HandshakeThread!.IsAlive, Is.False);
            Assert.That(server.State, Is.EqualTo(DtlsTransportState.Closed));
        });
    }

    [Test]
    public async Task Misuse_is_reported_with_clear_exceptions()
    {
        await using var link = new InMemoryDatagramLink();
        await using var client = Client(link.A);
        await using var server = Server(link.B);

        Assert.That(() => client.Send([1]), Throws.InvalidOperationException);
        await ConnectAsync(client, server);
        Assert.Multiple(() =>
        {
            Assert.That(() => client.StartAsync(), Throws.InvalidOperationException);
            Assert.That(() => client.Send(new byte[client.MaxDatagramSize + 1]), Throws.ArgumentException);
        });
        await client.CloseAsync();
        Assert.Multiple(() =>
        {
            Assert.That(() => client.Send([1]), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => client.StartAsync(), Throws.InstanceOf<ObjectDisposedException>());
        });
        await client.CloseAsync(); // idempotent
    }

    private static Task<DatagramTransportClosedEventArgs> ClosedEvent(IDatagramTransport transport)
    {
        var tcs = new TaskCompletionSource<DatagramTransportClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.Closed += (_, e) => tcs.TrySetResult(e);
        return tcs.Task;
    }

    private static byte[] Flip(byte[] record, int index)
    {
        var copy = (byte[])record.Clone();
        copy[index] ^= 0x40;
        return copy;
    }

    private static byte[] WithEpoch(byte[] record, ushort epoch)
    {
        var copy = (byte[])record.Clone();
        copy[3] = (byte)(epoch >> 8);
        copy[4] = (byte)epoch;
        return copy;
    }

    private static byte[] WithSequence(byte[] record, long sequence)
    {
        var copy = (byte[])record.Clone();
        for (var i = 0; i < 6; i++)
        {
            copy[10 - i] = (byte)(sequence >> (8 * i));
        }

        return copy;
    }
}
