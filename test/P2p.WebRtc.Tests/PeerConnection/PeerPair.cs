using System.Net;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Testing;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>Two of our peer connections on 127.0.0.1, signaled in-process (candidates trickled both ways).</summary>
internal sealed class PeerPair : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <param name="offerer">The offerer's configuration (restricted to loopback).</param>
    /// <param name="answerer">The answerer's configuration (restricted to loopback).</param>
    /// <param name="logging">Logging for both.</param>
    /// <param name="toAnswerer">Rewrites the offerer's candidates on their way (e.g. to a relay).</param>
    /// <param name="toOfferer">Rewrites the answerer's candidates on their way.</param>
    /// <param name="loopbackOnly">Restrict both to 127.0.0.1 (default); false keeps the configurations' own addresses.</param>
    public PeerPair(
        RtcConfiguration? offerer = null,
        RtcConfiguration? answerer = null,
        ILoggerFactory? logging = null,
        Func<RtcIceCandidateInit?, RtcIceCandidateInit?>? toAnswerer = null,
        Func<RtcIceCandidateInit?, RtcIceCandidateInit?>? toOfferer = null,
        bool loopbackOnly = true)
    {
        Offerer = new RtcPeerConnection(loopbackOnly ? Loopback(offerer, logging) : (offerer ?? new RtcConfiguration()) with { LoggerFactory = logging ?? offerer?.LoggerFactory });
        Answerer = new RtcPeerConnection(loopbackOnly ? Loopback(answerer, logging) : (answerer ?? new RtcConfiguration()) with { LoggerFactory = logging ?? answerer?.LoggerFactory });
        Trickle(Offerer, Answerer, toAnswerer ?? (c => c));
        Trickle(Answerer, Offerer, toOfferer ?? (c => c));
    }

    public RtcPeerConnection Offerer { get; }

    public RtcPeerConnection Answerer { get; }

    public static RtcConfiguration Loopback(RtcConfiguration? configuration = null, ILoggerFactory? logging = null) =>
        (configuration ?? new RtcConfiguration()) with
        {
            AddressFilter = a => a.Equals(IPAddress.Loopback),
            LoggerFactory = logging ?? configuration?.LoggerFactory,
        };

    /// <summary>Runs offer/answer and waits until both sides are connected.</summary>
    public async Task ConnectAsync()
    {
        var connected = Task.WhenAll(WaitForStateAsync(Offerer, RtcPeerConnectionState.Connected), WaitForStateAsync(Answerer, RtcPeerConnectionState.Connected));
        var offer = await Offerer.CreateOfferAsync();
        await Offerer.SetLocalDescriptionAsync(offer);
        await Answerer.SetRemoteDescriptionAsync(offer);
        var answer = await Answerer.CreateAnswerAsync();
        await Answerer.SetLocalDescriptionAsync(answer);
        await Offerer.SetRemoteDescriptionAsync(answer);
        await connected.WaitAsync(Timeout);
    }

    public static Task WaitForStateAsync(RtcPeerConnection pc, RtcPeerConnectionState wanted) => PeerConnectionEvents.StateAsync(pc, wanted);

    /// <summary>The next channel the peer announces.</summary>
    public static Task<RtcDataChannel> NextRemoteChannelAsync(RtcPeerConnection pc)
    {
        var next = new TaskCompletionSource<RtcDataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<RtcDataChannel>? handler = null;
        handler = (_, channel) =>
        {
            pc.DataChannel -= handler;
            next.TrySetResult(channel);
        };
        pc.DataChannel += handler;
        return next.Task;
    }

    /// <summary>Every message the channel receives from now on, in arrival order.</summary>
    public static System.Threading.Channels.ChannelReader<RtcDataChannelMessageEventArgs> Collect(RtcDataChannel channel) => PeerConnectionEvents.Collect(channel);

    public static Task WaitOpenAsync(RtcDataChannel channel) => PeerConnectionEvents.OpenAsync(channel).WaitAsync(Timeout);

    public async ValueTask DisposeAsync()
    {
        await Offerer.DisposeAsync();
        await Answerer.DisposeAsync();
    }

    private static void Trickle(RtcPeerConnection from, RtcPeerConnection to, Func<RtcIceCandidateInit?, RtcIceCandidateInit?> rewrite) =>
        from.IceCandidate += async (_, e) =>
        {
            try
            {
                await to.AddIceCandidateAsync(rewrite(e.Candidate));
            }
            catch (InvalidOperationException)
            {
                // the peer closed meanwhile
            }
        };
}
