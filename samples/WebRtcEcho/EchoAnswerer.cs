using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;

namespace WebRtcEcho;

/// <summary>
/// Answer mode: answers the offer read from stdin and echoes every message on every channel the peer
/// opens. Ends when the connection closes after having been up (the peer closed it: SCTP SHUTDOWN or
/// ABORT, or DTLS close_notify), which is success.
/// </summary>
internal sealed class EchoAnswerer(RtcPeerConnection pc, SignalingLink link, RunGuard guard, ILogger logger)
{
    private readonly List<ChannelEcho> _echoes = [];
    private volatile bool _connected;

    public async Task RunAsync(ChannelReader<string> lines, CancellationToken cancellationToken)
    {
        var peerClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.DataChannel += (_, channel) => OnChannel(channel);
        pc.ConnectionStateChanged += (_, state) =>
        {
            switch (state)
            {
                case RtcPeerConnectionState.Connected:
                    _connected = true;
                    guard.Phase = "echoing until the peer closes the connection";
                    logger.LogInformation("connected ({Pair})", pc.SelectedCandidatePair);
                    break;
                case RtcPeerConnectionState.Failed:
                    guard.Abort(new EchoException(ExitCode.Failed, $"the connection failed: {pc.Error?.Message ?? "ICE failed (no candidate pair works, or consent expired: the peer stopped answering)"}"));
                    break;
                case RtcPeerConnectionState.Closed when _connected:
                    peerClosed.TrySetResult();
                    break;
                case RtcPeerConnectionState.Closed:
                    guard.Abort(new EchoException(ExitCode.Failed, "the connection closed before it was up"));
                    break;
            }
        };

        guard.Phase = "waiting for the offer";
        guard.Observe(link.RunAsync(lines, "offer", offer => AnswerAsync(offer, cancellationToken), cancellationToken));
        await guard.WaitAsync(peerClosed.Task, phase: null, cancellationToken).ConfigureAwait(false);

        ChannelEcho[] echoes;
        lock (_echoes)
        {
            echoes = [.. _echoes];
        }

        logger.LogInformation(
            "the peer closed the connection; echoed {Messages} messages ({Bytes} bytes) on {Channels} channels",
            echoes.Sum(e => e.Messages), echoes.Sum(e => e.Bytes), echoes.Length);
    }

    private async Task AnswerAsync(RtcSessionDescription offer, CancellationToken cancellationToken)
    {
        await pc.SetRemoteDescriptionAsync(offer, cancellationToken).ConfigureAwait(false);
        var answer = await pc.CreateAnswerAsync(cancellationToken).ConfigureAwait(false);
        await pc.SetLocalDescriptionAsync(answer, cancellationToken).ConfigureAwait(false);
        if (!_connected)
        {
            guard.Phase = "connecting";
        }

        await link.PublishAsync(answer, cancellationToken).ConfigureAwait(false);
    }

    private void OnChannel(RtcDataChannel channel)
    {
        logger.LogInformation("the peer opened channel '{Label}' (id {Id}, {Ordering}); echoing", channel.Label, channel.Id, channel.Ordered ? "ordered" : "unordered");
        lock (_echoes)
        {
            _echoes.Add(new ChannelEcho(channel, logger));
        }
    }
}
