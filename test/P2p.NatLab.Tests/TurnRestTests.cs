using P2p.Testing.NatLab;
using P2p.WebRtc;
using P2p.WebRtc.Ice;

namespace P2p.NatLab.Tests;

/// <summary>
/// TURN REST credentials (coturn's <c>use-auth-secret</c>): a second coturn on the public segment shares a secret
/// with whoever hands out credentials (a signaling server), and accepts <c>EXPIRY:USER</c> / HMAC passwords until
/// they expire. Two hosts behind symmetric NATs need its relay.
/// </summary>
public class TurnRestTests : LabTest
{
    private const string Secret = "natlab-shared-secret";
    private CoturnProcess _rest = null!;

    [OneTimeSetUp]
    public async Task StartRestServerAsync() =>
        _rest = await Lab.Network.StartCoturnAsync(new CoturnOptions
        {
            Port = 3480,
            TlsPort = 0,
            Tcp = false,
            StaticAuthSecret = Secret,
            MinRelayPort = 49300,
            MaxRelayPort = 49400,
        });

    [Test]
    [CancelAfter(30_000)]
    public async Task Time_limited_credentials_made_from_the_shared_secret_get_a_relay_between_symmetric_nats()
    {
        RtcIceServer[] turn = [_rest.IceServer(_rest.TurnUdpUrl)];
        Assert.That(turn[0].Username, Does.Match("^[0-9]+:"), "EXPIRY:USER");
        await using var peers = new LabPeers(LabPeers.On(Lab.Dave, Log, turn), LabPeers.On(Lab.Erin, Log, turn));

        await peers.ConnectAsync();
        await peers.ExchangeDataAsync();

        SelectedPair.AssertRelayed(SelectedPair.Of(peers.Offerer, "dave"));
        SelectedPair.AssertRelayed(SelectedPair.Of(peers.Answerer, "erin"));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Expired_credentials_are_refused_with_a_clear_error_and_a_relay_only_connection_fails()
    {
        var (user, password) = TurnRestCredentials.Create(Secret, "late", DateTimeOffset.UtcNow.AddMinutes(-1));
        var configuration = LabPeers.On(Lab.Dave, Log, [new RtcIceServer(_rest.TurnUdpUrl, user, password)]) with
        {
            IceTransportPolicy = IceTransportPolicy.Relay,
        };
        await using var pc = new RtcPeerConnection(configuration);
        pc.CreateDataChannel("lab");
        var error = new TaskCompletionSource<IceCandidateErrorEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.IceCandidateError += (_, e) => error.TrySetResult(e);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.IceConnectionStateChanged += (_, state) =>
        {
            if (state == IceConnectionState.Failed)
            {
                failed.TrySetResult();
            }
        };

        await pc.SetLocalDescriptionAsync(await pc.CreateOfferAsync());

        var e = await error.Task.WaitAsync(LabPeers.Timeout);
        TestContext.Out.WriteLine($"{e.Url}: {e.ErrorCode} {e.ErrorText}");
        Assert.That(e.ErrorCode, Is.EqualTo(401), e.ErrorText);
        Assert.That(e.ErrorText, Does.Contain(user), "the error names the refused user");
        Assert.That(e.Url, Is.EqualTo(_rest.TurnUdpUrl));
        await failed.Task.WaitAsync(LabPeers.Timeout); // relay only, and no relay: nothing to connect with
    }
}
