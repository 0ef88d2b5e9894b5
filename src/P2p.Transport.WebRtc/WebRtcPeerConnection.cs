using Microsoft.Extensions.Logging;
using P2p.Core.Transport;
using P2p.Signaling.Abstractions;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Ice;

namespace P2p.Transport.WebRtc;

/// <summary>One member pair's connection: an <see cref="RtcPeerConnection"/> and the group's data channel.</summary>
internal sealed class WebRtcPeerConnection : IPeerConnection
{
    private readonly RtcPeerConnection _pc;
    private readonly RtcDataChannel _channel;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private PeerConnectionState _state = PeerConnectionState.New;

    public WebRtcPeerConnection(RtcPeerConnection pc, WebRtcTransportOptions options, ILogger logger)
    {
        _pc = pc;
        _logger = logger;
        _channel = pc.CreateDataChannel(MessageChannelParameters.Label, new RtcDataChannelInit
        {
            Negotiated = true,
            Id = MessageChannelParameters.StreamId,
            Ordered = MessageChannelParameters.Ordered,
        });
        _channel.MaxBufferedAmount = options.MaxBufferedAmount;
        Channel = new WebRtcMessageChannel(_channel, () => _pc.RemoteMaxMessageSize);
        pc.IceCandidate += (_, e) => LocalCandidate?.Invoke(this, e.Candidate is { } c
            ? new IceCandidatePayload(c.Candidate, c.SdpMid, c.SdpMLineIndex)
            : new IceCandidatePayload(string.Empty, null, null));
        pc.ConnectionStateChanged += (_, _) => UpdateState();
        _channel.Opened += (_, _) => UpdateState();
        _channel.Closed += (_, _) => UpdateState();
    }

    public PeerConnectionState State
    {
        get
        {
            lock (_sync)
            {
                return _state;
            }
        }
    }

    public IMessageChannel Channel { get; }

    /// <summary>The ICE candidate pair the connection uses, once ICE has selected one.</summary>
    public IceCandidatePairInfo? SelectedCandidatePair => _pc.SelectedCandidatePair;

    public event EventHandler<PeerConnectionState>? StateChanged;

    public event EventHandler<IceCandidatePayload>? LocalCandidate;

    public async Task<SessionDescriptionPayload> CreateOfferAsync(CancellationToken cancellationToken)
    {
        var offer = await _pc.CreateOfferAsync(cancellationToken).ConfigureAwait(false);
        await _pc.SetLocalDescriptionAsync(offer, cancellationToken).ConfigureAwait(false);
        return new SessionDescriptionPayload(offer.TypeName, offer.Sdp);
    }

    public async Task<SessionDescriptionPayload> AcceptOfferAsync(SessionDescriptionPayload offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        await _pc.SetRemoteDescriptionAsync(ToRtc(offer), cancellationToken).ConfigureAwait(false);
        var answer = await _pc.CreateAnswerAsync(cancellationToken).ConfigureAwait(false);
        await _pc.SetLocalDescriptionAsync(answer, cancellationToken).ConfigureAwait(false);
        return new SessionDescriptionPayload(answer.TypeName, answer.Sdp);
    }

    public Task AcceptAnswerAsync(SessionDescriptionPayload answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return _pc.SetRemoteDescriptionAsync(ToRtc(answer), cancellationToken);
    }

    /// <summary>Our stack restarts ICE on the same connection (DTLS, SCTP and the channel stay).</summary>
    public bool CanRestartIce => true;

    public PeerConnectionStatistics? GetStatistics() => _pc.SctpMetrics is { } sctp
        ? new PeerConnectionStatistics { RoundTripTime = sctp.SmoothedRtt, Retransmissions = sctp.DataChunksRetransmitted }
        : null;

    public async Task<SessionDescriptionPayload> CreateRestartOfferAsync(CancellationToken cancellationToken)
    {
        _pc.RestartIce();
        return await CreateOfferAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<SessionDescriptionPayload> AcceptRestartOfferAsync(SessionDescriptionPayload offer, CancellationToken cancellationToken) =>
        AcceptOfferAsync(offer, cancellationToken);

    public Task AddRemoteCandidateAsync(IceCandidatePayload candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return _pc.AddIceCandidateAsync(new RtcIceCandidateInit(candidate.Candidate, candidate.SdpMid, candidate.SdpMLineIndex), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Close();
        await _pc.DisposeAsync().ConfigureAwait(false);
        UpdateState();
    }

    private static RtcSessionDescription ToRtc(SessionDescriptionPayload payload) =>
        new(RtcSessionDescription.ParseType(payload.Type), payload.Sdp);

    private void UpdateState()
    {
        var pc = _pc.ConnectionState;
        var next = pc switch
        {
            RtcPeerConnectionState.New => PeerConnectionState.New,
            RtcPeerConnectionState.Connecting => PeerConnectionState.Connecting,
            RtcPeerConnectionState.Connected => _channel.ReadyState switch
            {
                RtcDataChannelState.Open => PeerConnectionState.Connected,
                RtcDataChannelState.Connecting => PeerConnectionState.Connecting,
                _ => PeerConnectionState.Closed,
            },
            RtcPeerConnectionState.Disconnected => PeerConnectionState.Disconnected,
            RtcPeerConnectionState.Failed => PeerConnectionState.Failed,
            _ => PeerConnectionState.Closed,
        };
        lock (_sync)
        {
            if (_state == next || _state is PeerConnectionState.Closed or PeerConnectionState.Failed)
            {
                return;
            }

            _state = next;
        }

        if (next == PeerConnectionState.Failed)
        {
            _logger.LogDebug("WebRTC connection failed: {Error}", _pc.Error?.Message);
        }

        StateChanged?.Invoke(this, next);
    }
}
