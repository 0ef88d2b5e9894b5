using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc;

/// <summary>
/// A WebRTC peer connection for data channels, close to the browser's <c>RTCPeerConnection</c>:
/// exchange an offer and an answer (<see cref="CreateOfferAsync"/>, <see cref="CreateAnswerAsync"/>,
/// <see cref="SetLocalDescriptionAsync"/>, <see cref="SetRemoteDescriptionAsync"/>), trickle candidates
/// both ways (<see cref="IceCandidate"/>, <see cref="AddIceCandidateAsync"/>), then ICE, DTLS and SCTP
/// connect on their own and data channels open.
/// </summary>
/// <remarks>
/// <para>Roles follow JSEP (RFC 9429): the offerer is ICE-controlling and offers <c>a=setup:actpass</c>;
/// the answerer answers <c>a=setup:active</c> and so is the DTLS client. Remote candidates added before
/// the remote description are kept until it is set. Audio and video sections of a remote offer are
/// rejected (port 0) in the answer.</para>
/// <para>Events are raised on background threads, one at a time per source; handlers must not block.</para>
/// </remarks>
public sealed partial class RtcPeerConnection : IAsyncDisposable
{
    private readonly RtcConfiguration _configuration;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private string _localUfrag = IceCredentials.NewUfrag();
    private string _localPassword = IceCredentials.NewPassword();
    private readonly string _tlsId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly ulong _sessionId = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 2;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<RtcIceCandidateInit> _earlyRemoteCandidates = [];
    private const int MaxEarlyCandidates = 256;
    private ulong _sessionVersion = 1;
    private IceAgent? _ice;
    private DtlsTransport? _dtls;
    private SessionDescription? _remoteDescription;
    private MediaDescription? _remoteMedia;
    private RtcSdpType? _localType;
    private SdpSetupRole _localSetup = SdpSetupRole.ActPass;
    private Dtls.DtlsRole? _dtlsRole;
    private string _mid = "0";
    private Task? _transports;
    private RtcSignalingState _signalingState = RtcSignalingState.Stable;
    private RtcPeerConnectionState _connectionState = RtcPeerConnectionState.New;
    private bool _closed;
    private readonly IceServerSet _iceServers;

    /// <summary>Creates a peer connection. Nothing is bound or sent until a description is set.</summary>
    /// <param name="configuration">Settings; null for the defaults.</param>
    /// <exception cref="FormatException">A malformed ICE server URL.</exception>
    /// <exception cref="ArgumentException">A TURN server without credentials, or <see cref="IceTransportPolicy.Relay"/> without a TURN server.</exception>
    public RtcPeerConnection(RtcConfiguration? configuration = null)
    {
        _configuration = configuration ?? new RtcConfiguration();
        if (_configuration.MaxMessageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), _configuration.MaxMessageSize, "MaxMessageSize must be positive.");
        }

        if (_configuration.SctpPort is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(configuration), _configuration.SctpPort, "SctpPort must be a port number.");
        }

        _iceServers = IceServerSet.Parse(_configuration.IceServers, _configuration.IceTransportPolicy);
        _loggerFactory = _configuration.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<RtcPeerConnection>();
        Certificate = _configuration.Certificate ?? RtcCertificate.Generate();
    }

    /// <summary>A local ICE candidate was gathered (send it to the peer); a null candidate means gathering is complete.</summary>
    public event EventHandler<RtcIceCandidateEventArgs>? IceCandidate;

    /// <summary>The ICE connection state changed.</summary>
    public event EventHandler<IceConnectionState>? IceConnectionStateChanged;

    /// <summary>A STUN or TURN server gave no candidate (the browser's <c>icecandidateerror</c>): e.g. refused TURN credentials.</summary>
    public event EventHandler<IceCandidateErrorEventArgs>? IceCandidateError;

    /// <summary>The ICE gathering state changed.</summary>
    public event EventHandler<IceGatheringState>? IceGatheringStateChanged;

    /// <summary>The aggregate connection state changed.</summary>
    public event EventHandler<RtcPeerConnectionState>? ConnectionStateChanged;

    /// <summary>The signaling state changed.</summary>
    public event EventHandler<RtcSignalingState>? SignalingStateChanged;

    /// <summary>The DTLS certificate whose fingerprint this side announces.</summary>
    public RtcCertificate Certificate { get; }

    /// <summary>Where the offer/answer exchange is.</summary>
    public RtcSignalingState SignalingState
    {
        get
        {
            lock (_sync)
            {
                return _signalingState;
            }
        }
    }

    /// <summary>The aggregate state of ICE, DTLS and SCTP.</summary>
    public RtcPeerConnectionState ConnectionState
    {
        get
        {
            lock (_sync)
            {
                return _connectionState;
            }
        }
    }

    /// <summary>The ICE connection state (<see cref="IceConnectionState.New"/> before any description).</summary>
    public IceConnectionState IceConnectionState => _ice?.ConnectionState ?? IceConnectionState.New;

    /// <summary>The ICE gathering state.</summary>
    public IceGatheringState IceGatheringState => _ice?.GatheringState ?? IceGatheringState.New;

    /// <summary>Why the connection failed, once <see cref="ConnectionState"/> is <see cref="RtcPeerConnectionState.Failed"/>.</summary>
    public Exception? Error { get; private set; }

    /// <summary>The selected ICE candidate pair, once connected.</summary>
    public IceCandidatePairInfo? SelectedCandidatePair => _ice?.SelectedPair;

    /// <summary>The peer's <c>a=max-message-size</c> (RFC 8841 §6): the largest message this side may send; 65536 when absent.</summary>
    public long RemoteMaxMessageSize { get; private set; } = 65536;

    /// <summary>
    /// The local description as last set, including the candidates gathered so far (and
    /// <c>a=end-of-candidates</c> once gathering is complete), like the browser's <c>localDescription</c>.
    /// Null before <see cref="SetLocalDescriptionAsync"/>.
    /// </summary>
    public RtcSessionDescription? LocalDescription
    {
        get
        {
            lock (_sync)
            {
                return _localType is { } type ? new RtcSessionDescription(type, BuildLocalSdp(type, _localSetup, withCandidates: true)) : null;
            }
        }
    }

    /// <summary>The remote description as last set, or null.</summary>
    public RtcSessionDescription? RemoteDescription { get; private set; }

    /// <summary>Creates an offer for a data-only session. Set it with <see cref="SetLocalDescriptionAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The offer.</returns>
    /// <exception cref="InvalidOperationException">A remote offer is pending, or the connection is closed.</exception>
    public Task<RtcSessionDescription> CreateOfferAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_sync)
        {
            ThrowIfClosed();
            if (_signalingState == RtcSignalingState.HaveRemoteOffer)
            {
                throw new InvalidOperationException("Cannot create an offer while a remote offer awaits an answer.");
            }

            // A later offer keeps the DTLS role the first exchange settled (RFC 8842 §5.5).
            var setup = _dtlsRole is { } role ? (role == Dtls.DtlsRole.Client ? SdpSetupRole.Active : SdpSetupRole.Passive) : SdpSetupRole.ActPass;
            _sessionVersion++;
            var (ufrag, password) = _pendingRestart ?? (_localUfrag, _localPassword);
            return Task.FromResult(new RtcSessionDescription(RtcSdpType.Offer, BuildLocalSdp(RtcSdpType.Offer, setup, withCandidates: false, ufrag, password)));
        }
    }

    /// <summary>Creates the answer to the remote offer. Set it with <see cref="SetLocalDescriptionAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="InvalidOperationException">No remote offer is set, or the connection is closed.</exception>
    public Task<RtcSessionDescription> CreateAnswerAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_sync)
        {
            ThrowIfClosed();
            if (_signalingState != RtcSignalingState.HaveRemoteOffer)
            {
                throw new InvalidOperationException("Cannot create an answer without a remote offer.");
            }

            _sessionVersion++;
            return Task.FromResult(new RtcSessionDescription(RtcSdpType.Answer, BuildLocalSdp(RtcSdpType.Answer, AnswerSetup(), withCandidates: false)));
        }
    }

    /// <summary>
    /// Sets the local description: an offer from <see cref="CreateOfferAsync"/> or an answer from
    /// <see cref="CreateAnswerAsync"/>. Starts gathering candidates; after an answer, connecting starts.
    /// </summary>
    /// <param name="description">The description.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the description is applied.</returns>
    /// <exception cref="InvalidOperationException">The description does not fit the signaling state, or the connection is closed.</exception>
    /// <exception cref="FormatException">The SDP is malformed.</exception>
    public Task SetLocalDescriptionAsync(RtcSessionDescription description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        cancellationToken.ThrowIfCancellationRequested();
        var sdp = SessionDescription.Parse(description.Sdp);
        var media = sdp.Media.FirstOrDefault(m => m.IsDataChannel && !m.IsRejected)
            ?? throw new FormatException("The local description has no data channel section (m=application … UDP/DTLS/SCTP webrtc-datachannel, or the legacy DTLS/SCTP with a=sctpmap).");
        RtcSignalingState state;
        lock (_sync)
        {
            ThrowIfClosed();
            var ufrag = sdp.GetIceUfrag(media);
            var password = sdp.GetIcePwd(media);
            var restart = description.Type == RtcSdpType.Offer && _pendingRestart is { } pending && ufrag == pending.Ufrag && password == pending.Password;
            if (!restart && (ufrag != _localUfrag || password != _localPassword))
            {
                throw new InvalidOperationException("The local description's ICE credentials are not this connection's: use CreateOfferAsync/CreateAnswerAsync.");
            }

            if (description.Type == RtcSdpType.Offer)
            {
                if (_signalingState is not (RtcSignalingState.Stable or RtcSignalingState.HaveLocalOffer))
                {
                    throw new InvalidOperationException($"Cannot set a local offer in signaling state {_signalingState}.");
                }

                var ice = EnsureIceLocked(IceRole.Controlling);
                if (restart)
                {
                    RestartIceLocked(ice, ufrag!, password!); // throws (changing nothing) when ICE has failed meanwhile
                    _restartOffered = true;
                }

                _localSetup = media.Setup ?? SdpSetupRole.ActPass;
                _localType = RtcSdpType.Offer;
                _signalingState = RtcSignalingState.HaveLocalOffer;
            }
            else
            {
                if (_signalingState != RtcSignalingState.HaveRemoteOffer)
                {
                    throw new InvalidOperationException($"Cannot set a local answer in signaling state {_signalingState}.");
                }

                var setup = media.Setup ?? SdpSetupRole.Active;
                if (setup is SdpSetupRole.ActPass or SdpSetupRole.HoldConn)
                {
                    throw new InvalidOperationException($"An answer must say a=setup:active or passive, not {SdpAttributeSection.SetupToString(setup)}.");
                }

                _localSetup = setup;
                _localType = RtcSdpType.Answer;
                _signalingState = RtcSignalingState.Stable;
                _dtlsRole ??= setup == SdpSetupRole.Active ? Dtls.DtlsRole.Client : Dtls.DtlsRole.Server;
                StartTransportsLocked();
            }

            state = _signalingState;
        }

        SignalingStateChanged?.Invoke(this, state);
        _ice!.StartGathering();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sets the remote description: the peer's offer (then create and set an answer) or its answer to
    /// our offer (then connecting starts). Candidates in the SDP are added.
    /// </summary>
    /// <param name="description">The description.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the description is applied.</returns>
    /// <exception cref="InvalidOperationException">The description does not fit the signaling state (e.g. an offer while our own offer is pending), or the connection is closed.</exception>
    /// <exception cref="FormatException">The SDP is malformed, has no data channel section, or lacks ICE credentials or a fingerprint.</exception>
    /// <exception cref="InvalidOperationException">
    /// Also: a later description that would need a new DTLS session (another certificate fingerprint, another
    /// <c>a=tls-id</c>, or an <c>a=setup</c> that reverses the DTLS roles), or an answer that changes the ICE
    /// credentials although the offer did not restart ICE. The connection is left as it was.
    /// </exception>
    /// <remarks>
    /// An offer whose <c>a=ice-ufrag</c>/<c>a=ice-pwd</c> differ from the previous remote description's restarts ICE
    /// as the answerer (RFC 8445 §9): the answer then carries new local credentials and the agent gathers anew once
    /// it is set. An offer with unchanged credentials is an ordinary re-offer. DTLS and SCTP are kept either way.
    /// </remarks>
    public Task SetRemoteDescriptionAsync(RtcSessionDescription description, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        cancellationToken.ThrowIfCancellationRequested();
        var sdp = SessionDescription.Parse(description.Sdp);
        var media = sdp.Media.FirstOrDefault(m => m.IsDataChannel && !m.IsRejected)
            ?? throw new FormatException("The remote description has no data channel section (m=application … UDP/DTLS/SCTP webrtc-datachannel, or the legacy DTLS/SCTP with a=sctpmap).");
        var ufrag = sdp.GetIceUfrag(media) ?? throw new FormatException("The remote description has no a=ice-ufrag.");
        var password = sdp.GetIcePwd(media) ?? throw new FormatException("The remote description has no a=ice-pwd.");
        var fingerprints = sdp.GetFingerprints(media);
        if (fingerprints.Count == 0)
        {
            throw new FormatException("The remote description has no a=fingerprint.");
        }

        var dtlsFingerprints = fingerprints.Select(f => DtlsFingerprint.Parse(f.ToString())).ToArray();
        var remoteSetup = media.Setup ?? sdp.Setup ?? (description.Type == RtcSdpType.Offer ? SdpSetupRole.ActPass : SdpSetupRole.Active);
        RtcSignalingState state;
        IceAgent ice;
        RtcIceCandidateInit[] early;
        lock (_sync)
        {
            ThrowIfClosed();
            var remoteRestart = CheckRenegotiationLocked(description.Type, ufrag, password, media, dtlsFingerprints, remoteSetup);

            if (description.Type == RtcSdpType.Offer)
            {
                if (_signalingState != RtcSignalingState.Stable)
                {
                    throw new InvalidOperationException($"Cannot set a remote offer in signaling state {_signalingState} (both sides offered: settle the glare first).");
                }

                ice = EnsureIceLocked(IceRole.Controlled);
                if (remoteRestart)
                {
                    // JSEP §5.3.1 / RFC 8839 §4.4.1.1.2: the answer to an ICE-restarting offer carries new credentials too.
                    var (newUfrag, newPassword) = _pendingRestart ?? (IceCredentials.NewUfrag(), IceCredentials.NewPassword());
                    RestartIceLocked(ice, newUfrag, newPassword); // throws (changing nothing) when ICE has failed meanwhile
                }

                _signalingState = RtcSignalingState.HaveRemoteOffer;
                _mid = media.Mid ?? _mid;
            }
            else
            {
                if (_signalingState != RtcSignalingState.HaveLocalOffer)
                {
                    throw new InvalidOperationException($"Cannot set a remote answer in signaling state {_signalingState}.");
                }

                if (remoteSetup is SdpSetupRole.ActPass or SdpSetupRole.HoldConn)
                {
                    throw new FormatException($"An answer must say a=setup:active or passive, not {SdpAttributeSection.SetupToString(remoteSetup)}.");
                }

                _signalingState = RtcSignalingState.Stable;
                _dtlsRole ??= remoteSetup == SdpSetupRole.Active ? Dtls.DtlsRole.Server : Dtls.DtlsRole.Client;
                _restartOffered = false;
                ice = _ice!;
            }

            _remoteDescription = sdp;
            _remoteMedia = media;
            RemoteDescription = description;
            RemoteFingerprints = dtlsFingerprints;
            RemoteSctpPort = media.DataChannelSctpPort;
            RemoteMaxMessageSize = media.MaxMessageSize switch
            {
                null => 65536,
                0 => long.MaxValue,
                var size => (long)Math.Min(size.Value, long.MaxValue),
            };
            ice.SetRemoteCredentials(ufrag, password);
            _staleRemoteUfrags.Remove(ufrag);
            foreach (var candidate in media.Candidates)
            {
                ice.AddRemoteCandidate(candidate);
            }

            if (media.EndOfCandidates)
            {
                ice.AddRemoteEndOfCandidates();
            }

            early = [.. _earlyRemoteCandidates];
            _earlyRemoteCandidates.Clear();
            if (description.Type == RtcSdpType.Answer)
            {
                StartTransportsLocked();
            }

            state = _signalingState;
        }

        // Candidates that arrived early were only parsed then; one that does not fit this description
        // (another media section, a bad line) is logged and skipped, never allowed to lose the others.
        foreach (var candidate in early)
        {
            try
            {
                ApplyRemoteCandidate(ice, candidate);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                _logger.LogWarning("Ignoring an early remote candidate: {Message}", e.Message);
            }
        }

        SignalingStateChanged?.Invoke(this, state);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Adds a candidate the peer trickled. Null, or an empty candidate line, means the peer has no more.
    /// Candidates that arrive before the remote description are kept until it is set. Host names
    /// (mDNS <c>.local</c>) are ignored.
    /// </summary>
    /// <param name="candidate">The candidate, or null for end-of-candidates.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the candidate is applied.</returns>
    /// <exception cref="FormatException">The candidate line is malformed.</exception>
    /// <exception cref="ArgumentException">The candidate names a media section this session does not have.</exception>
    public Task AddIceCandidateAsync(RtcIceCandidateInit? candidate, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        candidate ??= new RtcIceCandidateInit(string.Empty);
        if (!candidate.IsEndOfCandidates)
        {
            _ = Sdp.IceCandidate.Parse(candidate.Candidate); // malformed → FormatException now, not later
        }

        IceAgent ice;
        lock (_sync)
        {
            ThrowIfClosed();
            if (_remoteDescription is null)
            {
                _earlyRemoteCandidates.Add(candidate);
                return Task.CompletedTask;
            }

            ice = _ice!;
        }

        ApplyRemoteCandidate(ice, candidate);
        return Task.CompletedTask;
    }

    /// <summary>Closes the connection: data channels, SCTP, DTLS (close_notify) and ICE; idempotent.</summary>
    /// <returns>A task that completes when every transport has stopped.</returns>
    public async ValueTask CloseAsync()
    {
        IceAgent? ice;
        DtlsTransport? dtls;
        Task? transports;
        lock (_sync)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _signalingState = RtcSignalingState.Closed;
            ice = _ice;
            dtls = _dtls;
            transports = _transports;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await CloseSctpAsync().ConfigureAwait(false);
        if (transports is not null)
        {
            try
            {
                await transports.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // Closing cancels the set-up in flight.
            }
        }

        if (dtls is not null)
        {
            await dtls.DisposeAsync().ConfigureAwait(false);
        }

        if (ice is not null)
        {
            await ice.DisposeAsync().ConfigureAwait(false);
        }

        _lifetime.Dispose();
        SignalingStateChanged?.Invoke(this, RtcSignalingState.Closed);
        SetConnectionState(RtcPeerConnectionState.Closed);
    }

    /// <inheritdoc cref="CloseAsync"/>
    public ValueTask DisposeAsync() => CloseAsync();

    /// <summary>The peer's fingerprints from its description.</summary>
    internal IReadOnlyList<DtlsFingerprint> RemoteFingerprints { get; private set; } = [];

    /// <summary>The peer's <c>a=sctp-port</c>.</summary>
    internal int RemoteSctpPort { get; private set; } = 5000;

    /// <summary>This side's DTLS role, once settled by the exchange.</summary>
    internal Dtls.DtlsRole? DtlsRole => _dtlsRole;

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException("The peer connection is closed.");
        }
    }

    private SdpSetupRole AnswerSetup()
    {
        // RFC 8842 §5.3: the answerer of actpass picks active (like browsers); otherwise the opposite of the offer.
        var remote = _remoteMedia!.Setup ?? _remoteDescription!.Setup ?? SdpSetupRole.ActPass;
        if (_dtlsRole is { } role)
        {
            return role == Dtls.DtlsRole.Client ? SdpSetupRole.Active : SdpSetupRole.Passive;
        }

        return remote == SdpSetupRole.Active ? SdpSetupRole.Passive : SdpSetupRole.Active;
    }

    private IceAgent EnsureIceLocked(IceRole role)
    {
        if (_ice is not null)
        {
            return _ice;
        }

        var options = _configuration.Ice with
        {
            Role = role,
            LocalUfrag = _localUfrag,
            LocalPassword = _localPassword,
            AddressFilter = _configuration.AddressFilter ?? _configuration.Ice.AddressFilter,
            StunServers = _configuration.IceServers.Count > 0
                ? _iceServers.ResolveStunServers((url, e) => _logger.LogWarning("STUN server {Url} skipped: {Error}", url, e.Message))
                : _configuration.Ice.StunServers,
            TurnServers = _iceServers.TurnServers.Count > 0 ? _iceServers.TurnServers : _configuration.Ice.TurnServers,
            TransportPolicy = _configuration.IceTransportPolicy == IceTransportPolicy.Relay ? IceTransportPolicy.Relay : _configuration.Ice.TransportPolicy,
            LoggerFactory = _configuration.LoggerFactory ?? _configuration.Ice.LoggerFactory,
            TimeProvider = _configuration.TimeProvider ?? _configuration.Ice.TimeProvider,
        };
        var ice = new IceAgent(options);
        ice.LocalCandidateGathered += (_, candidate) => IceCandidate?.Invoke(this, new RtcIceCandidateEventArgs(
            new RtcIceCandidateInit(candidate.ToString(), _mid, 0, candidate.Ufrag ?? _localUfrag)));
        ice.SelectedPairChanged += (_, pair) => OnSelectedPairChanged(pair);
        ice.CandidateError += (_, error) => IceCandidateError?.Invoke(this, error);
        ice.GatheringStateChanged += (_, state) =>
        {
            IceGatheringStateChanged?.Invoke(this, state);
            if (state == IceGatheringState.Complete)
            {
                IceCandidate?.Invoke(this, new RtcIceCandidateEventArgs(null));
            }
        };
        ice.ConnectionStateChanged += (_, state) =>
        {
            IceConnectionStateChanged?.Invoke(this, state);
            UpdateConnectionState();
        };

        // Subscribed before DTLS is: when ICE fails (consent expired, every pair failed), the error says
        // so, rather than DTLS's "the lower transport closed".
        ice.Transport.Closed += (_, e) =>
        {
            if (e.Error is IceConnectionFailedException failure)
            {
                Fail(failure);
            }
        };
        _ice = ice;
        return ice;
    }

    private void ApplyRemoteCandidate(IceAgent ice, RtcIceCandidateInit candidate)
    {
        if (candidate.SdpMid is { } mid && mid != _mid)
        {
            throw new ArgumentException($"The candidate names media section '{mid}'; this session has only '{_mid}'.", nameof(candidate));
        }

        if (candidate.IsEndOfCandidates)
        {
            ice.AddRemoteEndOfCandidates();
            return;
        }

        // A candidate names its ICE generation by its ufrag (RtcIceCandidateInit.usernameFragment, or "ufrag" in the
        // line): one of a previous generation is dropped; one of a generation whose description has not arrived yet
        // (a restart offer or answer overtaken by its candidates) waits for it.
        var ufrag = candidate.UsernameFragment ?? Sdp.IceCandidate.Parse(candidate.Candidate).Ufrag;
        lock (_sync)
        {
            var current = _remoteMedia is not null ? _remoteDescription!.GetIceUfrag(_remoteMedia) : null;
            if (ufrag is not null && _staleRemoteUfrags.Contains(ufrag))
            {
                _logger.LogDebug("Ignoring a candidate of a previous ICE generation ({Ufrag}): {Candidate}", ufrag, candidate.Candidate);
                return;
            }

            if (ufrag is not null && current is not null && ufrag != current)
            {
                if (_earlyRemoteCandidates.Count < MaxEarlyCandidates)
                {
                    _logger.LogDebug("Keeping a candidate of ICE generation {Ufrag} until its description arrives: {Candidate}", ufrag, candidate.Candidate);
                    _earlyRemoteCandidates.Add(candidate);
                }

                return;
            }
        }

        ice.AddRemoteCandidate(candidate.Candidate);
    }

    private void StartTransportsLocked()
    {
        if (_transports is not null)
        {
            return;
        }

        // Created now, not once ICE connects on this side: the peer may connect first and send its
        // ClientHello, which the DTLS transport queues instead of dropping (saving a 1 s retransmission).
        var dtlsOptions = _configuration.TimeProvider is { } time ? _configuration.Dtls with { TimeProvider = time } : _configuration.Dtls;
        _dtls = new DtlsTransport(_ice!.Transport, _dtlsRole!.Value, Certificate, RemoteFingerprints, dtlsOptions, _loggerFactory.CreateLogger<DtlsTransport>());
        _dtls.Closed += (_, e) =>
        {
            if (e.Error is { } error)
            {
                Fail(error);
            }
            else
            {
                UpdateConnectionState();
            }
        };
        CreateSctpLocked(_dtls);
        _transports = Task.Run(() => ConnectTransportsAsync(_ice, _dtls, _lifetime.Token));
    }

    private async Task ConnectTransportsAsync(IceAgent ice, DtlsTransport dtls, CancellationToken cancellationToken)
    {
        try
        {
            UpdateConnectionState();
            var pair = await ice.ConnectAsync(cancellationToken).ConfigureAwait(false);
            _logger.LogDebug("ICE connected on {Pair}; DTLS handshake as {Role}", pair, dtls.Role);
            await dtls.StartAsync(cancellationToken).ConfigureAwait(false);
            _logger.LogDebug("DTLS connected ({CipherSuite}); starting SCTP", dtls.CipherSuite);
            await StartSctpAsync(dtls, cancellationToken).ConfigureAwait(false);
            UpdateConnectionState();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Closed while connecting.
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void Fail(Exception error)
    {
        lock (_sync)
        {
            if (_closed || Error is not null)
            {
                return;
            }

            Error = error;
        }

        _logger.LogWarning(error, "Peer connection failed: {Message}", error.Message);
        UpdateConnectionState();
        OnFailed(error);
    }

    private void UpdateConnectionState()
    {
        RtcPeerConnectionState next;
        lock (_sync)
        {
            if (_closed)
            {
                return;
            }

            var ice = _ice?.ConnectionState ?? IceConnectionState.New;
            next = Error is not null || ice == IceConnectionState.Failed ? RtcPeerConnectionState.Failed
                : ice == IceConnectionState.Disconnected ? RtcPeerConnectionState.Disconnected
                : _dtls?.State == DtlsTransportState.Closed || _sctpClosed ? RtcPeerConnectionState.Closed
                : IsSctpConnected && ice is IceConnectionState.Connected or IceConnectionState.Completed ? RtcPeerConnectionState.Connected
                : _transports is not null || ice == IceConnectionState.Checking ? RtcPeerConnectionState.Connecting
                : RtcPeerConnectionState.New;
        }

        SetConnectionState(next);
    }

    private void SetConnectionState(RtcPeerConnectionState next)
    {
        lock (_sync)
        {
            if (_connectionState == next || _connectionState == RtcPeerConnectionState.Closed)
            {
                return;
            }

            _logger.LogDebug("Peer connection {From} -> {To}", _connectionState, next);
            _connectionState = next;
        }

        ConnectionStateChanged?.Invoke(this, next);
    }

    private string BuildLocalSdp(RtcSdpType type, SdpSetupRole setup, bool withCandidates, string? ufrag = null, string? password = null)
    {
        var sdp = new SessionDescription(new SdpOrigin("-", _sessionId, _sessionVersion, "IN", "IP4", "127.0.0.1"));
        sdp.SetValue("group", "BUNDLE " + _mid);
        if (type == RtcSdpType.Answer && _remoteDescription is not null)
        {
            foreach (var remote in _remoteDescription.Media)
            {
                sdp.Media.Add(ReferenceEquals(remote, _remoteMedia) ? BuildDataSection(type, setup, withCandidates, ufrag, password) : remote.CreateRejected());
            }
        }
        else
        {
            sdp.Media.Add(BuildDataSection(type, setup, withCandidates, ufrag, password));
        }

        return sdp.ToString();
    }

    private MediaDescription BuildDataSection(RtcSdpType type, SdpSetupRole setup, bool withCandidates, string? ufrag, string? password)
    {
        // An answer speaks the dialect of its offer; our offers are always RFC 8841's.
        var legacy = type == RtcSdpType.Answer && _remoteMedia?.IsLegacyDataChannel == true;
        var media = legacy ? MediaDescription.CreateLegacyDataChannel(_configuration.SctpPort) : MediaDescription.CreateDataChannel();
        media.Mid = _mid;
        media.IceUfrag = ufrag ?? _localUfrag;
        media.IcePwd = password ?? _localPassword;
        media.SetValue("ice-options", "trickle");
        media.SetFingerprints([SdpFingerprint.Parse(Certificate.Fingerprint.ToString())]);
        media.Setup = setup;
        media.TlsId = _tlsId;
        if (!legacy)
        {
            media.SctpPort = _configuration.SctpPort;
        }

        media.MaxMessageSize = (ulong)_configuration.MaxMessageSize;
        if (withCandidates && _ice is not null)
        {
            // Peer-reflexive candidates are learned from checks, never signalled (RFC 8445 §7.2.5.3.1); with
            // mDNS names published they would reveal the host address.
            foreach (var candidate in _ice.GetLocalCandidates().Where(c => c.Type != Sdp.IceCandidateType.PeerReflexive))
            {
                media.AddCandidate(candidate);
            }

            media.EndOfCandidates = _ice.GatheringState == IceGatheringState.Complete;
        }

        return media;
    }
}
