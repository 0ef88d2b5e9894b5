using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2p.WebRtc.Net;
using BcAlertDescription = Org.BouncyCastle.Tls.AlertDescription;
using BcDtlsClientProtocol = Org.BouncyCastle.Tls.DtlsClientProtocol;
using BcDtlsRequest = Org.BouncyCastle.Tls.DtlsRequest;
using BcDtlsServerProtocol = Org.BouncyCastle.Tls.DtlsServerProtocol;
using BcDtlsVerifier = Org.BouncyCastle.Tls.DtlsVerifier;
using BcTlsFatalAlert = Org.BouncyCastle.Tls.TlsFatalAlert;
using BcTlsFatalAlertReceived = Org.BouncyCastle.Tls.TlsFatalAlertReceived;
using BcTlsTimeoutException = Org.BouncyCastle.Tls.TlsTimeoutException;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// DTLS 1.2 (RFC 6347) over an <see cref="IDatagramTransport"/> (the ICE transport), as WebRTC uses
/// it: mutual authentication with self-signed certificates checked against the SDP fingerprints
/// (RFC 8827 §6.5, RFC 8122), client/server roles from <c>a=setup</c> (RFC 5763 §5). Once
/// connected it is itself an <see cref="IDatagramTransport"/> carrying application data records
/// (SCTP packets, RFC 8261): each <see cref="Send"/> is one record in one datagram.
/// </summary>
/// <remarks>
/// <para>The handshake runs BouncyCastle's DTLS 1.2 state machine on a dedicated thread for its
/// duration: BouncyCastle's DTLS handshake is a blocking call that pulls datagrams through a
/// blocking receive, with no non-blocking variant (<c>docs/webrtc/dtls.md</c>, "Threads and
/// clock"). Our timers (the handshake timeout, the receive waits that pace retransmissions, the
/// final-flight retransmission's rate limit) run on <see cref="DtlsTransportOptions.TimeProvider"/>.
/// When the handshake completes, the connection's keys are already held by a
/// System.Security.Cryptography AEAD, and this class's own record layer takes over: sends are
/// encrypted on the caller's thread, received records are decrypted on the lower transport's
/// receive thread and handed to the receive handler there, in arrival order — no thread, queue or
/// timer of ours is left running.</para>
/// <para>Datagrams whose first byte is outside 20–63 are ignored (RFC 7983 §7). Malformed, replayed
/// or unauthenticated records are dropped (RFC 6347 §4.1.2.7).</para>
/// </remarks>
public sealed class DtlsTransport : IDatagramTransport, IAsyncDisposable, IDtlsRecordLayerOwner, IRtcTlsPeerEvents
{
    private const int AbortNone = 0;
    private const int AbortTimeout = 1;
    private const int AbortCancelled = 2;
    private const int AbortClosed = 3;
    private static readonly TimeSpan MaxHandshakeTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly IDatagramTransport _lower;
    private readonly RemoteCertificateVerifier _verifier;
    private readonly DtlsTransportOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _stateLock = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly HandshakeDatagramTransport _handshake;
    private readonly RtcTlsCrypto _crypto = new();
    private readonly TaskCompletionSource _handshakeCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _handshakeThreadExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile DtlsTransportState _state;
    private volatile DtlsRecordLayer? _records;

    /// <summary>The record layer for sending: set just before <see cref="_records"/> (see the end of the handshake).</summary>
    private volatile DtlsRecordLayer? _sendRecords;
    private volatile DatagramReceivedHandler? _handler;
    private volatile bool _lowerClosed;
    private Exception? _lowerClosedError;
    private int _abortReason;
    private int _closedRaised;
    private long _ignoredDatagrams;
    private long _undeliveredRecords;
    private Thread? _handshakeThread;
    private CancellationToken _startToken;
    private byte[] _remoteCertificate = [];
    private int _cipherSuite = -1;
    private int _srtpProfile = -1;

    /// <summary>Creates the transport and starts listening on <paramref name="lowerTransport"/> (early handshake datagrams are queued until <see cref="StartAsync"/>).</summary>
    /// <param name="lowerTransport">The path to the peer (the ICE transport's selected pair). This transport becomes its only receiver; it is not closed by this transport.</param>
    /// <param name="role">DTLS client or server (RFC 5763: <c>a=setup:active</c> is the client).</param>
    /// <param name="localCertificate">Our certificate; its fingerprint is in our SDP.</param>
    /// <param name="remoteFingerprints">The <c>a=fingerprint</c> values of the peer's SDP; at least one with a supported hash function.</param>
    /// <param name="options">Timeouts and options; default <see cref="DtlsTransportOptions.Default"/>.</param>
    /// <param name="logger">Logger; default none.</param>
    /// <exception cref="ArgumentException">No usable remote fingerprint, or the lower transport's datagrams are too small for DTLS.</exception>
    public DtlsTransport(
        IDatagramTransport lowerTransport,
        DtlsRole role,
        RtcCertificate localCertificate,
        IEnumerable<DtlsFingerprint> remoteFingerprints,
        DtlsTransportOptions? options = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(lowerTransport);
        ArgumentNullException.ThrowIfNull(localCertificate);
        ArgumentNullException.ThrowIfNull(remoteFingerprints);
        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role));
        }

        if (lowerTransport.MaxDatagramSize < 256)
        {
            throw new ArgumentException($"The lower transport's datagrams ({lowerTransport.MaxDatagramSize} bytes) are too small for DTLS.", nameof(lowerTransport));
        }

        _lower = lowerTransport;
        Role = role;
        LocalCertificate = localCertificate;
        RemoteFingerprints = remoteFingerprints.ToArray();
        _verifier = new RemoteCertificateVerifier(RemoteFingerprints);
        _options = options ?? DtlsTransportOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.HandshakeTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.HandshakeTimeout, MaxHandshakeTimeout, nameof(options)); // a timer's limit
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.InitialRetransmitTimeout, TimeSpan.Zero, nameof(options));
        if (_options.TimeProvider is null)
        {
            throw new ArgumentException("DtlsTransportOptions.TimeProvider must not be null.", nameof(options));
        }

        _logger = logger ?? NullLogger.Instance;
        MaxDatagramSize = DtlsRecordLayer.MaxPlaintext(lowerTransport.MaxDatagramSize);
        _handshake = new HandshakeDatagramTransport(lowerTransport, role == DtlsRole.Server, _options.TimeProvider, _logger, _abort.Token);
        _lower.Closed += OnLowerClosed;
        _lower.SetReceiveHandler(OnLowerDatagram);
    }

    /// <summary>This endpoint's DTLS role.</summary>
    public DtlsRole Role { get; }

    /// <summary>Our certificate.</summary>
    public RtcCertificate LocalCertificate { get; }

    /// <summary>The fingerprints the peer's certificate is checked against.</summary>
    public IReadOnlyList<DtlsFingerprint> RemoteFingerprints { get; }

    /// <summary>Where the transport is in its life cycle.</summary>
    public DtlsTransportState State => _state;

    /// <summary>The peer's certificate (DER), once connected; empty before.</summary>
    public ReadOnlyMemory<byte> RemoteCertificate => _remoteCertificate;

    /// <summary>The negotiated cipher suite's IANA name (e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), once connected.</summary>
    public string? CipherSuite => _cipherSuite < 0 ? null : DtlsCipherSuites.Name(_cipherSuite);

    /// <summary>
    /// The SRTP protection profile agreed in the <c>use_srtp</c> extension (RFC 5764 §4.1.1), e.g.
    /// SRTP_AEAD_AES_128_GCM, once connected; null when the peer did not negotiate it. We offer and
    /// answer the extension because some stacks require it even without media; no SRTP keys are derived.
    /// </summary>
    public string? SrtpProtectionProfile => _srtpProfile < 0 ? null : DtlsSrtpProfiles.Name(_srtpProfile);

    /// <summary>
    /// The largest application datagram: what fits in one record inside one lower datagram
    /// (lower size − 13-byte header − 24 bytes of AES-GCM nonce and tag).
    /// </summary>
    public int MaxDatagramSize { get; }

    /// <inheritdoc />
    public bool IsClosed => _state is DtlsTransportState.Closed or DtlsTransportState.Failed;

    /// <summary>
    /// Raised once when the transport closes: <see cref="DatagramTransportClosedEventArgs.Error"/> is
    /// null for an orderly close (ours or the peer's close_notify), a
    /// <see cref="DtlsHandshakeException"/> when the handshake failed, a
    /// <see cref="DtlsException"/> for a fatal alert or a lost lower transport, or an
    /// <see cref="OperationCanceledException"/> when <see cref="StartAsync"/> was cancelled.
    /// </summary>
    public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

    /// <summary>Records dropped after the handshake (malformed, replayed, failing authentication, wrong epoch).</summary>
    internal long DroppedRecords => _records?.DroppedRecords ?? 0;

    /// <summary>Datagrams ignored because they were not DTLS (RFC 7983) or arrived when nobody could take them.</summary>
    internal long IgnoredDatagrams => Interlocked.Read(ref _ignoredDatagrams);

    /// <summary>Application records that arrived with no receive handler set.</summary>
    internal long UndeliveredRecords => Interlocked.Read(ref _undeliveredRecords);

    /// <summary>Times our final flight was retransmitted after the handshake (server only).</summary>
    internal long FinalFlightRetransmissions => _records?.Retransmissions ?? 0;

    /// <summary>Sends an alert in the established epoch (tests use it to play a misbehaving peer).</summary>
    internal void SendAlert(byte level, DtlsAlertDescription description) =>
        (_records ?? throw new InvalidOperationException("Not connected.")).SendAlert(level, description);

    /// <summary>The handshake thread, while or after it ran (tests check that it ends).</summary>
    internal Thread? HandshakeThread => _handshakeThread;

    /// <summary>
    /// Runs the handshake. Completes when it succeeded and the peer's certificate matched; set the
    /// receive handler before, so that no early record is missed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the handshake (the transport is then failed and unusable).</param>
    /// <returns>A task that completes when connected.</returns>
    /// <exception cref="DtlsHandshakeException">The handshake failed; <see cref="DtlsHandshakeException.Reason"/> says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="ObjectDisposedException">Already closed.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (_state != DtlsTransportState.New)
            {
                throw new InvalidOperationException("The DTLS handshake was already started.");
            }

            _state = DtlsTransportState.Connecting;
            _startToken = cancellationToken;
            _handshakeThread = new Thread(RunHandshake) { IsBackground = true, Name = $"DTLS handshake ({Role})" };
        }

        _logger.LogDebug("DTLS handshake starting as {Role}", Role);
        _handshakeThread.Start();
        return _handshakeCompleted.Task;
    }

    /// <summary>Encrypts <paramref name="datagram"/> as one application_data record and sends it as one datagram.</summary>
    /// <param name="datagram">At most <see cref="MaxDatagramSize"/> bytes.</param>
    /// <exception cref="ArgumentException">Too large.</exception>
    /// <exception cref="InvalidOperationException">The handshake has not completed.</exception>
    /// <exception cref="ObjectDisposedException">The transport is closed.</exception>
    public void Send(ReadOnlySpan<byte> datagram)
    {
        var records = _sendRecords;
        if (records is null || _state != DtlsTransportState.Connected)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            throw new InvalidOperationException("The DTLS handshake has not completed; await StartAsync first.");
        }

        if (datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds the DTLS transport's {MaxDatagramSize}.", nameof(datagram));
        }

        try
        {
            records.SendApplicationData(datagram);
        }
        catch (ObjectDisposedException e)
        {
            throw new ObjectDisposedException("The DTLS transport or its lower transport is closed.", e);
        }
    }

    /// <inheritdoc />
    public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

    /// <summary>
    /// Closes the transport: sends close_notify when connected (RFC 5246 §7.2.1), aborts a running
    /// handshake, stops listening on the lower transport, raises <see cref="Closed"/> (no error) and
    /// waits for the handshake thread to end. The lower transport is left open.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the handshake thread (it still ends by itself).</param>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        DtlsTransportState previous;
        lock (_stateLock)
        {
            previous = _state;
            if (!IsClosed)
            {
                _state = DtlsTransportState.Closed;
            }
        }

        var records = _records;
        if (previous == DtlsTransportState.Connected && records is not null)
        {
            try
            {
                records.SendAlert(1, DtlsAlertDescription.CloseNotify);
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or ArgumentException)
            {
                _logger.LogDebug(e, "DTLS close_notify could not be sent");
            }
        }

        Abort(AbortClosed);
        Detach();
        records?.Dispose();
        if (previous is not (DtlsTransportState.Closed or DtlsTransportState.Failed))
        {
            _logger.LogDebug("DTLS transport closed ({Role})", Role);
            RaiseClosed(null);
        }

        var thread = _handshakeThread;
        if (thread is not null)
        {
            await _handshakeThreadExited.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _handshake.Dispose();
        }
    }

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    /// <returns>A task that completes when closed.</returns>
    public ValueTask DisposeAsync() => CloseAsync(CancellationToken.None);

    void IDtlsRecordLayerOwner.OnApplicationData(ReadOnlySpan<byte> data)
    {
        var handler = _handler;
        if (handler is null || IsClosed)
        {
            Interlocked.Increment(ref _undeliveredRecords);
            return;
        }

        try
        {
            handler(data);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "The DTLS receive handler threw; the record is dropped");
        }
    }

    void IDtlsRecordLayerOwner.OnAlert(byte level, byte description)
    {
        if (description == (byte)DtlsAlertDescription.CloseNotify)
        {
            // RFC 5246 §7.2.1: answer close_notify with our own and close down.
            _logger.LogDebug("DTLS close_notify received ({Role})", Role);
            try
            {
                _records?.SendAlert(1, DtlsAlertDescription.CloseNotify);
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or ArgumentException)
            {
                _logger.LogDebug(e, "DTLS close_notify reply could not be sent");
            }

            Shutdown(DtlsTransportState.Closed, null);
        }
        else if (level == 2)
        {
            var text = BcAlertDescription.GetText(description);
            _logger.LogWarning("DTLS peer sent fatal alert {Alert}", text);
            Shutdown(DtlsTransportState.Failed, new DtlsException($"The DTLS peer sent fatal alert {text}.", (DtlsAlertDescription)description));
        }
        else
        {
            _logger.LogDebug("DTLS peer sent warning alert {Alert}", BcAlertDescription.GetText(description));
        }
    }

    void IRtcTlsPeerEvents.OnAlertRaised(short level, short description, string? message, Exception? cause) =>
        _logger.LogDebug(cause, "DTLS {Level} alert sent: {Alert} {Message}", level == 2 ? "fatal" : "warning", BcAlertDescription.GetText(description), message);

    void IRtcTlsPeerEvents.OnAlertReceived(short level, short description) =>
        _logger.LogDebug("DTLS {Level} alert received during the handshake: {Alert}", level == 2 ? "fatal" : "warning", BcAlertDescription.GetText(description));

    void IRtcTlsPeerEvents.OnHandshakeComplete(int cipherSuite, int srtpProfile)
    {
        _cipherSuite = cipherSuite;
        _srtpProfile = srtpProfile;
    }

    private void OnLowerDatagram(ReadOnlySpan<byte> datagram)
    {
        try
        {
            // RFC 7983 §7: a first byte in 20..63 means DTLS; anything else (STUN, RTP, ...) is not ours.
            if (datagram.IsEmpty || datagram[0] < 20 || datagram[0] > 63)
            {
                Interlocked.Increment(ref _ignoredDatagrams);
                return;
            }

            var records = _records;
            if (records is null)
            {
                lock (_stateLock)
                {
                    records = _records;
                    if (records is null)
                    {
                        if (_state is not (DtlsTransportState.New or DtlsTransportState.Connecting) || !_handshake.TryEnqueue(datagram))
                        {
                            Interlocked.Increment(ref _ignoredDatagrams);
                        }

                        return;
                    }
                }
            }

            if (_state == DtlsTransportState.Connected)
            {
                records.ProcessDatagram(datagram);
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "DTLS failed to process a datagram; it is dropped");
        }
    }

    private void OnLowerClosed(object? sender, DatagramTransportClosedEventArgs e)
    {
        _lowerClosedError = e.Error;
        _lowerClosed = true;
        _handshake.SuppressSends = true;
        switch (_state)
        {
            case DtlsTransportState.Connecting:
                Abort(AbortClosed);
                break;
            case DtlsTransportState.New:
                Shutdown(DtlsTransportState.Failed, new DtlsHandshakeException(
                    DtlsHandshakeFailure.TransportClosed, "The lower transport closed before the DTLS handshake started.", null, e.Error));
                break;
            case DtlsTransportState.Connected:
                _logger.LogWarning(e.Error, "DTLS lower transport closed under a connected session");
                Shutdown(DtlsTransportState.Failed, new DtlsException("The lower transport closed before close_notify.", e.Error));
                break;
        }
    }

    private void RunHandshake()
    {
        Exception? failure;
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, time))
        using (timeout.Token.UnsafeRegister(static s => ((DtlsTransport)s!).Abort(AbortTimeout), this))
        using (_startToken.UnsafeRegister(static s => ((DtlsTransport)s!).Abort(AbortCancelled), this))
        {
            try
            {
                var resendMillis = (int)Math.Clamp(_options.InitialRetransmitTimeout.TotalMilliseconds, 1, 60_000);
                if (Role == DtlsRole.Client)
                {
                    var client = new RtcTlsClient(_crypto, LocalCertificate, _verifier, resendMillis, this);
                    new BcDtlsClientProtocol().Connect(client, _handshake);
                }
                else
                {
                    var server = new RtcTlsServer(_crypto, LocalCertificate, _verifier, resendMillis, this);
                    var protocol = new BcDtlsServerProtocol();
                    if (_options.UseHelloVerifyRequest)
                    {
                        protocol.Accept(server, _handshake, WaitForVerifiedClientHello());
                    }
                    else
                    {
                        protocol.Accept(server, _handshake);
                    }
                }

                failure = TakeOverRecordLayer(time.GetElapsedTime(started));
            }
            catch (Exception e)
            {
                failure = DescribeFailure(e);
            }
        }

        if (failure is not null)
        {
            FailHandshake(failure);
        }

        _handshake.Dispose();
        _handshakeThreadExited.TrySetResult();
    }

    // RFC 6347 §4.2.1: answer ClientHellos without a valid cookie with HelloVerifyRequest.
    private BcDtlsRequest WaitForVerifiedClientHello()
    {
        var verifier = new BcDtlsVerifier(_crypto);
        var clientId = "webrtc-ice-pair"u8.ToArray(); // one peer per transport: the ICE pair identifies it
        var buffer = new byte[_handshake.GetReceiveLimit()];
        while (true)
        {
            var length = _handshake.Receive(buffer, 0, buffer.Length, 1000);
            if (length > 0 && verifier.VerifyRequest(clientId, buffer, 0, length, _handshake) is { } request)
            {
                return request;
            }
        }
    }

    private DtlsHandshakeException? TakeOverRecordLayer(TimeSpan elapsed)
    {
        var adapter = _crypto.CreatedCipher;
        if (adapter is null || adapter.LastWritten < 0 || adapter.ReadEpoch < 0)
        {
            return new DtlsHandshakeException(DtlsHandshakeFailure.ProtocolError, "The DTLS handshake completed without an AEAD record cipher.", DtlsAlertDescription.InternalError);
        }

        var epoch = (ushort)((ulong)adapter.LastWritten >> 48);
        if (adapter.ReadEpoch != epoch)
        {
            return new DtlsHandshakeException(DtlsHandshakeFailure.ProtocolError, "The DTLS handshake ended with mismatched read and write epochs.", DtlsAlertDescription.InternalError);
        }

        var records = new DtlsRecordLayer(
            _lower,
            adapter.Cipher,
            epoch,
            ((ulong)adapter.LastWritten & DtlsRecordLayer.SequenceMask) + 1,
            adapter.ReadWindow,
            (ulong)(_handshake.Epoch0WriteSequence + 1),
            Role == DtlsRole.Server ? adapter.LastHandshakePlaintext : null,
            _options.InitialRetransmitTimeout / 2,
            this,
            _logger,
            _options.TimeProvider);

        lock (_stateLock)
        {
            if (_state != DtlsTransportState.Connecting)
            {
                records.Dispose();
                return ClosedDuringHandshake(null);
            }

            _remoteCertificate = _verifier.RemoteCertificate ?? [];
            _state = DtlsTransportState.Connected;

            // Sending works from now on: what the drained datagrams trigger (SCTP answering the peer's INIT) is sent
            // from inside the drain below. Receiving switches to the record layer only after the drain, so that
            // datagrams stay in order and are processed one at a time.
            _sendRecords = records;

            // Datagrams that arrived after BouncyCastle's last read (e.g. the peer's first
            // application data) go through the new record layer first, in order; the lower receive
            // thread waits on the lock meanwhile and continues inline once _records is set.
            foreach (var (buffer, length) in _handshake.DrainAll())
            {
                try
                {
                    if (_state == DtlsTransportState.Connected)
                    {
                        records.ProcessDatagram(buffer.AsSpan(0, length));
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            _records = records;
        }

        _logger.LogInformation(
            "DTLS connected as {Role} in {Elapsed:0.0} ms: {CipherSuite} ({Cipher}), use_srtp {SrtpProfile}",
            Role,
            elapsed.TotalMilliseconds,
            CipherSuite,
            records.CipherName,
            SrtpProtectionProfile ?? "not negotiated");
        _handshakeCompleted.TrySetResult();
        return null;
    }

    private Exception DescribeFailure(Exception e)
    {
        switch (Volatile.Read(ref _abortReason))
        {
            case AbortTimeout:
                return new DtlsHandshakeException(
                    DtlsHandshakeFailure.Timeout,
                    $"The DTLS handshake did not complete within {_options.HandshakeTimeout.TotalSeconds:0.###} s (as {Role}).",
                    null,
                    e);
            case AbortCancelled:
                return new OperationCanceledException("The DTLS handshake was cancelled.", e, _startToken);
            case AbortClosed:
                return ClosedDuringHandshake(e);
        }

        if (_verifier.Failure is { } failure)
        {
            var alert = failure == DtlsHandshakeFailure.RemoteFingerprintMismatch ? DtlsAlertDescription.BadCertificate : DtlsAlertDescription.HandshakeFailure;
            return new DtlsHandshakeException(failure, _verifier.FailureMessage!, alert, e);
        }

        return e switch
        {
            BcTlsFatalAlertReceived received => new DtlsHandshakeException(
                DtlsHandshakeFailure.AlertReceived,
                $"The DTLS peer aborted the handshake with fatal alert {BcAlertDescription.GetText(received.AlertDescription)}.",
                (DtlsAlertDescription)received.AlertDescription,
                e),
            BcTlsTimeoutException => new DtlsHandshakeException(DtlsHandshakeFailure.Timeout, $"The DTLS handshake timed out: {e.Message}", null, e),
            BcTlsFatalAlert sent => new DtlsHandshakeException(
                DtlsHandshakeFailure.ProtocolError,
                $"The DTLS handshake failed: {e.Message} (sent fatal alert {BcAlertDescription.GetText(sent.AlertDescription)}).",
                (DtlsAlertDescription)sent.AlertDescription,
                e),
            _ => new DtlsHandshakeException(DtlsHandshakeFailure.ProtocolError, $"The DTLS handshake failed: {e.Message}", DtlsAlertDescription.InternalError, e),
        };
    }

    private DtlsHandshakeException ClosedDuringHandshake(Exception? cause) =>
        _lowerClosed
            ? new DtlsHandshakeException(DtlsHandshakeFailure.TransportClosed, "The lower transport closed before the DTLS handshake completed.", null, _lowerClosedError ?? cause)
            : new DtlsHandshakeException(DtlsHandshakeFailure.TransportClosed, "The DTLS transport was closed before its handshake completed.", null, cause);

    private void FailHandshake(Exception failure)
    {
        if (failure is DtlsHandshakeException { Reason: DtlsHandshakeFailure.TransportClosed } or OperationCanceledException)
        {
            // Closed or cancelled by its owner: not a failure worth a warning.
            _logger.LogDebug("DTLS handshake ended ({Role}): {Message}", Role, failure.Message);
        }
        else
        {
            _logger.LogWarning(failure, "DTLS handshake failed as {Role}: {Message}", Role, failure.Message);
        }

        Shutdown(DtlsTransportState.Failed, failure);
        if (failure is OperationCanceledException)
        {
            _handshakeCompleted.TrySetCanceled(_startToken);
        }
        else
        {
            _handshakeCompleted.TrySetException(failure);
        }
    }

    // Moves to Closed/Failed (once), stops listening and raises Closed.
    private void Shutdown(DtlsTransportState state, Exception? error)
    {
        lock (_stateLock)
        {
            if (!IsClosed)
            {
                _state = state;
            }
        }

        Abort(AbortClosed);
        Detach();
        _records?.Dispose();
        RaiseClosed(error);
    }

    private void Abort(int reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, reason, AbortNone) == AbortNone)
        {
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            catch (AggregateException e)
            {
                _logger.LogError(e, "DTLS abort callback failed");
            }
        }
    }

    private void Detach()
    {
        _lower.Closed -= OnLowerClosed;
        try
        {
            _lower.SetReceiveHandler(null);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void RaiseClosed(Exception? error)
    {
        if (Interlocked.Exchange(ref _closedRaised, 1) != 0)
        {
            return;
        }

        try
        {
            Closed?.Invoke(this, new DatagramTransportClosedEventArgs(error));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A DTLS Closed handler threw");
        }
    }
}
