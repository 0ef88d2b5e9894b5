using System.Security.Cryptography;
using System.Threading.Channels;
using P2p.Testing;
using P2p.Testing.NatLab;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Testing;

namespace P2p.NatLab.Tests;

/// <summary>
/// Two of our peer connections in this process, each with its ICE sockets on a lab host, signalled in-process
/// (offer/answer, candidates trickled both ways), with one pre-negotiated data channel (id 0) to send over.
/// </summary>
internal sealed class LabPeers : IAsyncDisposable
{
    /// <summary>How long a connection may take (TURN allocation included) before a test fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// ICE timers for a case that must fail: a check is sent 3 times, 200 ms then 400 ms apart, so every pair has failed
    /// about a second after its first check (the defaults take ≈15 s).
    /// </summary>
    public static readonly IceAgentOptions FailFast = new()
    {
        InitialRto = TimeSpan.FromMilliseconds(200),
        MaxRto = TimeSpan.FromMilliseconds(400),
        MaxCheckTransmissions = 3,
    };

    /// <summary>How long a case that must fail (with <see cref="FailFast"/>) may take to report it.</summary>
    public static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(10);

    private readonly RtcDataChannel _offererChannel;
    private readonly RtcDataChannel _answererChannel;

    /// <summary>Creates both connections; nothing is sent until <see cref="ConnectAsync"/>.</summary>
    public LabPeers(RtcConfiguration offerer, RtcConfiguration answerer)
    {
        Offerer = new RtcPeerConnection(offerer);
        Answerer = new RtcPeerConnection(answerer);
        _offererChannel = Offerer.CreateDataChannel("lab", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        _answererChannel = Answerer.CreateDataChannel("lab", new RtcDataChannelInit { Negotiated = true, Id = 0 });
        Trickle(Offerer, Answerer);
        Trickle(Answerer, Offerer);
    }

    public RtcPeerConnection Offerer { get; }

    public RtcPeerConnection Answerer { get; }

    /// <summary>
    /// A peer connection's settings for a lab host: its ICE sockets (UDP and the TCP of TURN) inside the host's
    /// namespace, coturn's self-signed certificate accepted, everything logged to <paramref name="log"/>.
    /// </summary>
    public static RtcConfiguration On(LabHost host, TestLog log, IReadOnlyList<RtcIceServer>? servers = null, IceAgentOptions? ice = null) => new()
    {
        IceServers = servers ?? [],
        LoggerFactory = log,
        Ice = (ice ?? new IceAgentOptions()) with
        {
            SocketFactory = host.Sockets,
            TcpConnector = host.Sockets,
            TurnCertificateValidation = Lab.Coturn.CertificateValidation,
        },
    };

    /// <summary>Runs offer/answer and waits until both connections are connected and the channel is open at both ends.</summary>
    public async Task ConnectAsync()
    {
        var connected = Task.WhenAll(
            PeerConnectionEvents.StateAsync(Offerer, RtcPeerConnectionState.Connected),
            PeerConnectionEvents.StateAsync(Answerer, RtcPeerConnectionState.Connected),
            PeerConnectionEvents.OpenAsync(_offererChannel),
            PeerConnectionEvents.OpenAsync(_answererChannel));
        var started = System.Diagnostics.Stopwatch.StartNew();
        await NegotiateAsync();
        await connected.WaitAsync(Timeout);
        TestContext.Out.WriteLine($"connected (offer to both channels open) in {started.Elapsed.TotalMilliseconds:0} ms");
    }

    /// <summary>Runs offer/answer and waits until both connections fail; returns how long that took from the offer.</summary>
    public async Task<TimeSpan> FailAsync(TimeSpan within)
    {
        var failed = Task.WhenAll(
            PeerConnectionEvents.StateAsync(Offerer, RtcPeerConnectionState.Failed),
            PeerConnectionEvents.StateAsync(Answerer, RtcPeerConnectionState.Failed));
        var started = System.Diagnostics.Stopwatch.StartNew();
        await NegotiateAsync();
        await failed.WaitAsync(within);
        return started.Elapsed;
    }

    /// <summary>Asserts that <paramref name="pc"/> failed because ICE found no working pair, and says so clearly.</summary>
    public static void AssertIceFailed(RtcPeerConnection pc, string who, TimeSpan took)
    {
        Assert.That(pc.ConnectionState, Is.EqualTo(RtcPeerConnectionState.Failed), who);
        Assert.That(pc.Error, Is.InstanceOf<IceConnectionFailedException>(), $"{who}: {pc.Error}");
        Assert.That(pc.SelectedCandidatePair, Is.Null, who);
        TestContext.Out.WriteLine($"{who}: failed after {took.TotalSeconds:0.0} s: {pc.Error!.Message}");
    }

    /// <summary>A few text messages each way, then 1 MiB from the offerer to the answerer, checked by hash.</summary>
    public async Task ExchangeDataAsync()
    {
        var atAnswerer = PeerConnectionEvents.Collect(_answererChannel);
        var atOfferer = PeerConnectionEvents.Collect(_offererChannel);
        for (var i = 0; i < 3; i++)
        {
            _offererChannel.Send($"to the answerer {i}");
            _answererChannel.Send($"to the offerer {i}");
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.That((await atAnswerer.ReadAsync().AsTask().WaitAsync(Timeout)).Text, Is.EqualTo($"to the answerer {i}"));
            Assert.That((await atOfferer.ReadAsync().AsTask().WaitAsync(Timeout)).Text, Is.EqualTo($"to the offerer {i}"));
        }

        const int chunk = 16 * 1024;
        var payload = RandomNumberGenerator.GetBytes(1 << 20);
        var transfer = System.Diagnostics.Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += chunk)
            {
                await _offererChannel.SendAsync(payload.AsMemory(offset, chunk));
            }
        });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var received = 0;
        using var deadline = new CancellationTokenSource(Timeout);
        while (received < payload.Length)
        {
            var message = await atAnswerer.ReadAsync(deadline.Token);
            hash.AppendData(message.Data.Span);
            received += message.Data.Length;
        }

        await sending.WaitAsync(Timeout);
        TestContext.Out.WriteLine($"1 MiB in {transfer.Elapsed.TotalMilliseconds:0} ms");
        Assert.That(received, Is.EqualTo(payload.Length));
        Assert.That(hash.GetHashAndReset(), Is.EqualTo(SHA256.HashData(payload)), "1 MiB crossed intact");
    }

    public async ValueTask DisposeAsync()
    {
        await Offerer.DisposeAsync();
        await Answerer.DisposeAsync();
    }

    private static void Trickle(RtcPeerConnection from, RtcPeerConnection to) =>
        from.IceCandidate += async (_, e) =>
        {
            try
            {
                await to.AddIceCandidateAsync(e.Candidate);
            }
            catch (InvalidOperationException)
            {
                // the peer closed meanwhile
            }
        };

    private async Task NegotiateAsync()
    {
        var offer = await Offerer.CreateOfferAsync();
        await Offerer.SetLocalDescriptionAsync(offer);
        await Answerer.SetRemoteDescriptionAsync(offer);
        var answer = await Answerer.CreateAnswerAsync();
        await Answerer.SetLocalDescriptionAsync(answer);
        await Offerer.SetRemoteDescriptionAsync(answer);
    }
}
