using System.Buffers.Binary;
using P2p.WebRtc.Sctp.Chunks;
using P2p.WebRtc.Sctp.ErrorCauses;
using P2p.WebRtc.Sctp.Handshake;
using P2p.WebRtc.Sctp.Parameters;
using P2p.WebRtc.Sctp.Receive;
using P2p.WebRtc.Sctp.Send;

namespace P2p.WebRtc.Sctp;

/// <summary>
/// Association set-up (RFC 9260 §5): the four-way INIT / INIT ACK / COOKIE ECHO / COOKIE ACK
/// handshake with a signed State Cookie, INIT collision (§5.2.1, §5.2.4) and extension negotiation
/// (RFC 5061 Supported Extensions, RFC 3758 Forward-TSN-Supported).
/// </summary>
public sealed partial class SctpAssociation
{
    /// <summary>The extension chunk types announced in Supported Extensions (RFC 8831 §6.2).</summary>
    private static readonly byte[] SupportedExtensions = [(byte)ChunkType.ReConfig, (byte)ChunkType.ForwardTsn];

    private void SendInit(TimeSpan now)
    {
        _initChunk ??= BuildInitChunk(ChunkType.Init, []);
        _alone.Enqueue((_initChunk, 0));
        SetState(SctpAssociationState.CookieWait);
        _t1Init.Start(now, _rto.Rto);
    }

    /// <summary>INIT or INIT ACK with this endpoint's fixed parameters and the given extra parameters.</summary>
    private byte[] BuildInitChunk(ChunkType type, ReadOnlySpan<byte> extra)
    {
        Span<byte> ext = stackalloc byte[ParameterWriter.SizeOf(SupportedExtensions.Length) + ForwardTsnSupportedParameter.Size];
        var n = SupportedExtensionsParameter.Write(ext, SupportedExtensions);
        n += ForwardTsnSupportedParameter.Write(ext[n..]);
        var parameters = new byte[n + extra.Length];
        ext[..n].CopyTo(parameters);
        extra.CopyTo(parameters.AsSpan(n));
        var chunk = new byte[ChunkWriter.Pad4(InitChunk.FixedSize + parameters.Length)];
        var aRwnd = (uint)_options.ReceiveWindow;
        if (type == ChunkType.Init)
        {
            InitChunk.Write(chunk, _localTag, aRwnd, _options.OutboundStreams, _options.InboundStreams, _localInitialTsn, parameters);
        }
        else
        {
            InitAckChunk.Write(chunk, _localTag, aRwnd, _options.OutboundStreams, _options.InboundStreams, _localInitialTsn, parameters);
        }

        return chunk;
    }

    /// <summary>
    /// INIT (§5.1.1): answered with INIT ACK carrying a State Cookie, statelessly, while Closed; in
    /// COOKIE-WAIT/COOKIE-ECHOED (collision, §5.2.1) with the same tag and TSN as our own INIT.
    /// An INIT once established (a peer restart, §5.2.2) is not supported and is dropped.
    /// </summary>
    private void HandleInit(RawChunk chunk, TimeSpan now)
    {
        if (!InitChunk.TryParse(chunk, out var init))
        {
            Drop("malformed INIT");
            return;
        }

        if (_state is not (SctpAssociationState.Closed or SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed))
        {
            Drop("INIT when established (restart not supported)");
            return;
        }

        if (init.InitiateTag == 0)
        {
            Drop("INIT with initiate tag 0");
            return;
        }

        if (init.OutboundStreams == 0 || init.InboundStreams == 0 || init.ARwnd < 1500)
        {
            // §3.3.2: invalid mandatory parameters are answered with ABORT.
            var cause = new byte[ErrorCause.SizeOf(0)];
            ErrorCause.Write(cause, SctpErrorCauseCode.InvalidMandatoryParameter, []);
            var abort = new byte[ChunkWriter.Pad4(RawChunk.HeaderSize + cause.Length)];
            AbortChunk.Write(abort, tagReflected: false, cause);
            _alone.Enqueue((abort, init.InitiateTag));
            return;
        }

        var caps = ReadPeerParameters(init.Parameters, out var unrecognized);
        var cookie = new StateCookie(
            _localTag,
            init.InitiateTag,
            _localInitialTsn,
            init.InitialTsn,
            init.ARwnd,
            init.OutboundStreams,
            init.InboundStreams,
            caps.ForwardTsn,
            caps.Reconfig,
            now.Ticks).Serialize(_cookieKey);
        var extra = new byte[ParameterWriter.SizeOf(cookie.Length) + unrecognized.Length];
        var n = StateCookieParameter.Write(extra, cookie);
        unrecognized.CopyTo(extra.AsSpan(n));
        _alone.Enqueue((BuildInitChunk(ChunkType.InitAck, extra), init.InitiateTag));
    }

    /// <summary>INIT ACK (§5.1 C): only in COOKIE-WAIT; echo the cookie and wait for COOKIE ACK.</summary>
    private void HandleInitAck(RawChunk chunk, TimeSpan now)
    {
        if (_state != SctpAssociationState.CookieWait)
        {
            Drop("INIT ACK outside COOKIE-WAIT");
            return;
        }

        if (!InitAckChunk.TryParse(chunk, out var ack) || ack.Fields.InitiateTag == 0
            || ack.Fields.OutboundStreams == 0 || ack.Fields.InboundStreams == 0)
        {
            Drop("malformed INIT ACK");
            return;
        }

        var f = ack.Fields;
        var caps = ReadPeerParameters(f.Parameters, out var unrecognized, out var cookie);
        if (cookie.IsEmpty)
        {
            // §5.1 and §3.3.10.2: the State Cookie is mandatory.
            _peerTag = f.InitiateTag;
            var info = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(info, 0x0001_0007);
            AbortWithCause(SctpErrorCauseCode.MissingMandatoryParameter, info, "INIT ACK without State Cookie");
            return;
        }

        _peerTag = f.InitiateTag;
        _peerInitialTsn = f.InitialTsn;
        _peerInitialRwnd = f.ARwnd;
        _peerOutboundStreams = f.OutboundStreams;
        _peerInboundStreams = f.InboundStreams;
        _peerForwardTsn = caps.ForwardTsn;
        _peerReconfig = caps.Reconfig;
        _cookieEchoChunk = new byte[ChunkWriter.Pad4(RawChunk.HeaderSize + cookie.Length)];
        CookieEchoChunk.Write(_cookieEchoChunk, cookie);
        _control.Enqueue(_cookieEchoChunk);
        if (unrecognized.Length > 0)
        {
            // §3.3.3: unrecognised INIT ACK parameters are reported in an ERROR bundled with COOKIE ECHO.
            // Each Unrecognized Parameter TLV (type 8) doubles as an "Unrecognized Parameters" cause (code 8).
            QueueError(unrecognized);
        }

        _t1Init.Stop();
        _t1Cookie.Start(now, _rto.Rto, resetExpirations: true);
        SetState(SctpAssociationState.CookieEchoed);
    }

    /// <summary>
    /// COOKIE ECHO (§5.1 D, §5.1.5, §5.2.4): validates MAC and lifetime; establishes from the cookie
    /// while not yet established (passive open, or collision cases B/D); once established, a cookie
    /// with the same tags (case D) is answered with COOKIE ACK again. Restarts (case A) are dropped.
    /// </summary>
    private bool HandleCookieEcho(RawChunk chunk, TimeSpan now)
    {
        if (!StateCookie.TryDeserialize(CookieEchoChunk.Cookie(chunk), _cookieKey, out var cookie) || cookie.LocalTag != _localTag)
        {
            Drop("invalid State Cookie");
            return false;
        }

        var age = now - new TimeSpan(cookie.CreatedTicks);
        if (age > _options.CookieLifetime)
        {
            // §5.1.5 (3): stale cookie → ERROR with the staleness in microseconds.
            var stale = (uint)Math.Min(uint.MaxValue, (age - _options.CookieLifetime).Ticks / 10);
            var cause = new byte[ErrorCause.SizeOf(4)];
            ErrorCause.WriteStaleCookie(cause, stale);
            var error = new byte[ChunkWriter.Pad4(RawChunk.HeaderSize + cause.Length)];
            ErrorChunk.Write(error, cause);
            _alone.Enqueue((error, cookie.PeerTag));
            Drop("stale State Cookie");
            return false;
        }

        if (_state is SctpAssociationState.Closed or SctpAssociationState.CookieWait or SctpAssociationState.CookieEchoed)
        {
            _peerTag = cookie.PeerTag;
            _peerInitialTsn = cookie.PeerInitialTsn;
            _peerInitialRwnd = cookie.PeerARwnd;
            _peerOutboundStreams = cookie.PeerOutboundStreams;
            _peerInboundStreams = cookie.PeerInboundStreams;
            _peerForwardTsn = cookie.PeerSupportsForwardTsn;
            _peerReconfig = cookie.PeerSupportsReconfig;
            _control.Clear();
            QueueCookieAck();
            Establish(now);
            return true;
        }

        if (cookie.PeerTag == _peerTag)
        {
            QueueCookieAck();
            return true;
        }

        Drop("COOKIE ECHO of another association (restart not supported)");
        return false;
    }

    private void QueueCookieAck()
    {
        var ack = new byte[CookieAckChunk.Size];
        CookieAckChunk.Write(ack);
        _control.Enqueue(ack);
    }

    /// <summary>COOKIE ACK (§5.1 E): established.</summary>
    private void HandleCookieAck(TimeSpan now)
    {
        if (_state == SctpAssociationState.CookieEchoed)
        {
            Establish(now);
        }
    }

    private void Establish(TimeSpan now)
    {
        if (_tracker is not null)
        {
            return;
        }

        _t1Init.Stop();
        _t1Cookie.Stop();
        _started = true;
        _tracker = new DataTracker(_peerInitialTsn, _options.AckEveryPackets);
        var window = Math.Clamp(_options.ReceiveWindow / 64, 1024, 32768);
        _reassembly = new ReassemblyQueue(_peerInitialTsn, _options.MaxReceiveMessageSize, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)window), _events, _options.MaxPacketSize, _options.ReceiveWindow);
        _cc = new CongestionController(_maxPayload, _peerInitialRwnd);
        _peerRwnd = _peerInitialRwnd;
        _retransmissions.PartialReliabilitySupported = _peerForwardTsn;
        _peerNextRequestSeq = _peerInitialTsn;
        _errorCount = 0;
        SetState(SctpAssociationState.Established);
        if (_options.HeartbeatInterval > TimeSpan.Zero)
        {
            _heartbeat.Start(now, _options.HeartbeatInterval);
        }

        _events.Enqueue(new SctpEvent { Type = SctpEventType.Connected });
    }

    /// <summary>
    /// Reads INIT/INIT ACK parameters (§3.2.1, §3.3.2.1): the extensions the peer supports, the
    /// unrecognised parameters to report (upper bits x1), stopping at those whose upper bit is 0.
    /// </summary>
    private static (bool ForwardTsn, bool Reconfig) ReadPeerParameters(ReadOnlySpan<byte> parameters, out byte[] unrecognizedReport)
        => ReadPeerParameters(parameters, out unrecognizedReport, out _);

    private static (bool ForwardTsn, bool Reconfig) ReadPeerParameters(ReadOnlySpan<byte> parameters, out byte[] unrecognizedReport, out ReadOnlySpan<byte> cookie)
    {
        var forwardTsn = false;
        var reconfig = false;
        cookie = default;
        var report = new List<byte>();
        var it = new ParameterIterator(parameters);
        while (it.MoveNext(out var p))
        {
            switch (p.Type)
            {
                case ParameterType.StateCookie:
                    cookie = p.Value;
                    break;
                case ParameterType.ForwardTsnSupported:
                    forwardTsn = true;
                    break;
                case ParameterType.SupportedExtensions:
                    forwardTsn |= SupportedExtensionsParameter.Lists(p.Value, ChunkType.ForwardTsn);
                    reconfig |= SupportedExtensionsParameter.Lists(p.Value, ChunkType.ReConfig);
                    break;
                case ParameterType.Ipv4Address or ParameterType.Ipv6Address or ParameterType.CookiePreservative
                    or ParameterType.HostNameAddress or ParameterType.SupportedAddressTypes or ParameterType.EcnCapable
                    or ParameterType.Random or ParameterType.ChunkList or ParameterType.RequestedHmacAlgorithm
                    or ParameterType.Padding or ParameterType.UnrecognizedParameter:
                    // Known and not needed over DTLS (RFC 8261 §4: no addresses) or not negotiated: ignored.
                    break;
                default:
                    if (ParameterTypeExtensions.Report(p.TypeValue))
                    {
                        var wrapped = new byte[ParameterWriter.SizeOf(p.Whole.Length)];
                        UnrecognizedParameter.Write(wrapped, p.Whole);
                        report.AddRange(wrapped);
                    }

                    if (!ParameterTypeExtensions.SkipAndContinue(p.TypeValue))
                    {
                        unrecognizedReport = [.. report];
                        return (forwardTsn, reconfig);
                    }

                    break;
            }
        }

        unrecognizedReport = [.. report];
        return (forwardTsn, reconfig);
    }
}
