using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc;

// Placeholder until the SCTP association lands: the connection counts as connected once DTLS is,
// and channels are recorded but never open.
public sealed partial class RtcPeerConnection
{
    private readonly List<RtcDataChannel> _channels = [];
    private volatile bool _sctpConnected;

    /// <summary>The peer opened a data channel (DATA_CHANNEL_OPEN received); it is open when raised.</summary>
    public event EventHandler<RtcDataChannel>? DataChannel;

    /// <summary>
    /// Creates a data channel. Before the connection is up it waits in <see cref="RtcDataChannelState.Connecting"/>
    /// and opens when the SCTP association is established; the peer learns of it through DCEP
    /// (RFC 8832) unless <see cref="RtcDataChannelInit.Negotiated"/>.
    /// </summary>
    /// <param name="label">The channel's label (at most 65535 bytes of UTF-8).</param>
    /// <param name="init">Options; null for a reliable, ordered channel.</param>
    /// <returns>The channel.</returns>
    /// <exception cref="ArgumentException">Both partial-reliability limits are set, a negotiated channel has no id, or the id is taken.</exception>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    public RtcDataChannel CreateDataChannel(string label, RtcDataChannelInit? init = null)
    {
        ArgumentNullException.ThrowIfNull(label);
        init ??= new RtcDataChannelInit();
        var channel = new RtcDataChannel(label, init, init.Id);
        lock (_sync)
        {
            ThrowIfClosed();
            _channels.Add(channel);
        }

        return channel;
    }

    private bool IsSctpConnected => _sctpConnected;

    private Task StartSctpAsync(DtlsTransport dtls, CancellationToken cancellationToken)
    {
        _ = dtls;
        _ = DataChannel;
        cancellationToken.ThrowIfCancellationRequested();
        _sctpConnected = true;
        return Task.CompletedTask;
    }

    private static ValueTask CloseSctpAsync() => ValueTask.CompletedTask;

    private static void OnFailed(Exception error) => _ = error;
}
