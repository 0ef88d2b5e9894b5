using P2p.WebRtc.Dtls;

namespace P2p.WebRtc;

// Placeholder until the SCTP association lands: the connection counts as connected once DTLS is.
public sealed partial class RtcPeerConnection
{
    private volatile bool _sctpConnected;

    private bool IsSctpConnected => _sctpConnected;

    private Task StartSctpAsync(DtlsTransport dtls, CancellationToken cancellationToken)
    {
        _ = dtls;
        cancellationToken.ThrowIfCancellationRequested();
        _sctpConnected = true;
        return Task.CompletedTask;
    }

    private static ValueTask CloseSctpAsync() => ValueTask.CompletedTask;

    private static void OnFailed(Exception error) => _ = error;
}
