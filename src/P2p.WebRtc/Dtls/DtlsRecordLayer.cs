using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// The DTLS 1.2 record layer of an established connection (RFC 6347 §4.1), taken over from
/// BouncyCastle when the handshake completes so that the data path runs without thread hops,
/// queues or per-record allocations: <see cref="SendApplicationData"/> encrypts one record into a
/// reused buffer and sends it as one datagram; <see cref="ProcessDatagram"/> runs on the lower
/// transport's receive thread, checks the replay window (RFC 6347 §4.1.2.6), authenticates and
/// decrypts in a reused buffer, and hands the plaintext to the owner.
/// </summary>
/// <remarks>
/// Invalid records (wrong epoch or version, truncated, replayed, failing authentication) are
/// silently discarded (RFC 6347 §4.1.2.7) and counted. After the handshake the only handshake
/// traffic we answer is (a) the client retransmitting its last flight because our final flight
/// (ChangeCipherSpec + Finished) was lost — as server we retransmit that flight (RFC 6347 §4.2.4) —
/// and (b) renegotiation attempts, refused with a no_renegotiation warning (RFC 8827 §6.5).
/// </remarks>
internal sealed class DtlsRecordLayer : IDisposable
{
    /// <summary>type(1) ‖ version(2) ‖ epoch(2) ‖ sequence_number(6) ‖ length(2) (RFC 6347 §4.1).</summary>
    public const int HeaderLength = 13;

    /// <summary>The 48-bit sequence number within an epoch.</summary>
    public const ulong SequenceMask = 0xFFFF_FFFF_FFFF;

    /// <summary>The DTLS 1.2 record version, {254, 253} (RFC 6347 §4.1).</summary>
    public const ushort Dtls12 = 0xFEFD;

    /// <summary>Largest cipher overhead of the suites we offer (AES-GCM: 8-byte explicit nonce + 16-byte tag).</summary>
    public const int MaxCipherOverhead = 24;

    // RFC 5246 §6.2.1 content types.
    private const byte ChangeCipherSpec = 20;
    private const byte Alert = 21;
    private const byte Handshake = 22;
    private const byte ApplicationData = 23;

    // RFC 5246 §7.4 handshake types we react to after the handshake.
    private const byte HelloRequest = 0;
    private const byte ClientHello = 1;
    private const byte Certificate = 11;
    private const byte CertificateVerify = 15;
    private const byte ClientKeyExchange = 16;
    private const byte Finished = 20;

    // RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048.
    private const int MaxFragmentLength = 16384 + 2048;
    private const int DtlsHandshakeHeaderLength = 12;

    private readonly IDatagramTransport _lower;
    private readonly DtlsRecordCipher _cipher;
    private readonly IDtlsRecordLayerOwner _owner;
    private readonly ILogger _logger;
    private readonly ulong _epochBits;
    private readonly ushort _epoch;
    private readonly Lock _writeLock = new();
    private readonly byte[] _sendBuffer;
    private readonly byte[] _plaintext = new byte[MaxFragmentLength];
    private readonly byte[]? _finalFlightFinished;
    private readonly TimeProvider _time;
    private readonly long _retransmitInterval;
    private DtlsReplayWindow _window;
    private ulong _writeSequence;
    private ulong _epoch0WriteSequence;
    private long _lastRetransmit = long.MinValue;
    private long _droppedRecords;
    private long _retransmissions;
    private volatile bool _disposed;

    /// <param name="lower">Where records go.</param>
    /// <param name="cipher">The epoch's keys (this layer disposes it).</param>
    /// <param name="epoch">The epoch the handshake established (1 after a full handshake).</param>
    /// <param name="nextWriteSequence">First unused write sequence number in the epoch.</param>
    /// <param name="readWindow">Replay window state of the records read during the handshake.</param>
    /// <param name="nextEpoch0WriteSequence">First unused epoch-0 sequence number (for a ChangeCipherSpec retransmission).</param>
    /// <param name="finalFlightFinished">As server: our Finished message, to retransmit with ChangeCipherSpec when the client repeats its last flight; null otherwise.</param>
    /// <param name="retransmitInterval">Minimum time between two such retransmissions.</param>
    /// <param name="owner">Receives application data and alerts.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="time">The clock that <paramref name="retransmitInterval"/> is measured on; default the system's.</param>
    public DtlsRecordLayer(
        IDatagramTransport lower,
        DtlsRecordCipher cipher,
        ushort epoch,
        ulong nextWriteSequence,
        DtlsReplayWindow readWindow,
        ulong nextEpoch0WriteSequence,
        byte[]? finalFlightFinished,
        TimeSpan retransmitInterval,
        IDtlsRecordLayerOwner owner,
        ILogger logger,
        TimeProvider? time = null)
    {
        _lower = lower;
        _cipher = cipher;
        _epoch = epoch;
        _epochBits = (ulong)epoch << 48;
        _writeSequence = nextWriteSequence;
        _window = readWindow;
        _epoch0WriteSequence = nextEpoch0WriteSequence;
        _finalFlightFinished = finalFlightFinished;
        _time = time ?? TimeProvider.System;
        // In the clock's timestamp units, so the per-retransmission check is one subtraction.
        _retransmitInterval = (long)(retransmitInterval.TotalSeconds * _time.TimestampFrequency);
        _owner = owner;
        _logger = logger;
        _sendBuffer = new byte[Math.Max(lower.MaxDatagramSize, 128)];
    }

    /// <summary>Records discarded so far (malformed, replayed, wrong epoch, failed authentication).</summary>
    public long DroppedRecords => Interlocked.Read(ref _droppedRecords);

    /// <summary>Times our final flight was retransmitted after the handshake.</summary>
    public long Retransmissions => Interlocked.Read(ref _retransmissions);

    /// <summary>The cipher's name, e.g. AES-128-GCM.</summary>
    public string CipherName => _cipher.Name;

    /// <summary>The largest application record plaintext that fits one lower datagram.</summary>
    public static int MaxPlaintext(int lowerMaxDatagramSize) =>
        Math.Min(16384, lowerMaxDatagramSize - HeaderLength - MaxCipherOverhead);

    /// <summary>Encrypts one application_data record and sends it as one datagram.</summary>
    public void SendApplicationData(ReadOnlySpan<byte> data) => SendRecord(ApplicationData, data);

    /// <summary>Sends an alert (RFC 5246 §7.2) in the current epoch.</summary>
    public void SendAlert(byte level, DtlsAlertDescription description)
    {
        ReadOnlySpan<byte> alert = [level, (byte)description];
        SendRecord(Alert, alert);
    }

    /// <summary>Processes every record of one datagram (RFC 6347 §4.1: a datagram may carry several).</summary>
    public void ProcessDatagram(ReadOnlySpan<byte> datagram)
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            while (!datagram.IsEmpty)
            {
                if (datagram.Length < HeaderLength)
                {
                    Drop("truncated record header");
                    return;
                }

                var type = datagram[0];
                var version = BinaryPrimitives.ReadUInt16BigEndian(datagram[1..]);
                var epochAndSequence = BinaryPrimitives.ReadUInt64BigEndian(datagram[3..]);
                int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
                if (length > datagram.Length - HeaderLength)
                {
                    Drop("truncated record");
                    return;
                }

                var fragment = datagram.Slice(HeaderLength, length);
                datagram = datagram[(HeaderLength + length)..];
                var epoch = (ushort)(epochAndSequence >> 48);
                if (epoch == _epoch)
                {
                    ProcessProtected(type, version, epochAndSequence, fragment);
                }
                else if (epoch == 0 && type == Handshake && (version >> 8) == 0xFE)
                {
                    // Unauthenticated epoch-0 handshake: only ever a retransmission trigger.
                    ProcessHandshake(fragment, authenticated: false);
                }
                else
                {
                    Drop("record of another epoch");
                }
            }
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // Closed while this datagram was being processed.
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _cipher.Dispose();
        }
    }

    private void ProcessProtected(byte type, ushort version, ulong epochAndSequence, ReadOnlySpan<byte> fragment)
    {
        var sequence = epochAndSequence & SequenceMask;
        if (version != Dtls12 || type is not (ApplicationData or Alert or Handshake))
        {
            Drop("unexpected record type or version");
            return;
        }

        if (_window.ShouldDiscard(sequence))
        {
            Drop("replayed or too old record");
            return;
        }

        if (fragment.Length > MaxFragmentLength || fragment.Length < _cipher.Overhead)
        {
            Drop("bad record length");
            return;
        }

        var plaintext = _plaintext.AsSpan(0, fragment.Length - _cipher.Overhead);
        if (!_cipher.TryDecrypt(epochAndSequence, type, version, fragment, plaintext))
        {
            Drop("record failed authentication");
            return;
        }

        _window.MarkReceived(sequence);
        switch (type)
        {
            case ApplicationData:
                _owner.OnApplicationData(plaintext);
                break;
            case Alert when plaintext.Length == 2:
                _owner.OnAlert(plaintext[0], plaintext[1]);
                break;
            case Alert:
                Drop("malformed alert");
                break;
            default:
                ProcessHandshake(plaintext, authenticated: true);
                break;
        }
    }

    private void ProcessHandshake(ReadOnlySpan<byte> message, bool authenticated)
    {
        if (message.Length < DtlsHandshakeHeaderLength)
        {
            Drop("truncated handshake message");
            return;
        }

        switch (message[0])
        {
            case Certificate or ClientKeyExchange or CertificateVerify when _finalFlightFinished is not null:
            case Finished when authenticated && _finalFlightFinished is not null:
                RetransmitFinalFlight();
                break;
            case HelloRequest or ClientHello when authenticated:
                // RFC 8827 §6.5: renegotiation MUST be rejected with a no_renegotiation alert.
                _logger.LogDebug("DTLS peer attempted renegotiation; refusing with no_renegotiation");
                TrySendAlert(1, DtlsAlertDescription.NoRenegotiation);
                break;
            default:
                Drop("handshake message after the handshake");
                break;
        }
    }

    // RFC 6347 §4.2.4: the server sends the last flight of a full handshake; when the client
    // retransmits its own last flight, ours was lost and is sent again (new sequence numbers).
    private void RetransmitFinalFlight()
    {
        var now = _time.GetTimestamp();
        if (_lastRetransmit != long.MinValue && now - _lastRetransmit < _retransmitInterval)
        {
            return;
        }

        _lastRetransmit = now;
        var finished = _finalFlightFinished!;
        lock (_writeLock)
        {
            if (_disposed || _lower.IsClosed)
            {
                return;
            }

            // ChangeCipherSpec in epoch 0 (RFC 5246 §7.1) and Finished in the new epoch, packed in one
            // datagram so they cannot be reordered; then the Finished once more on its own, because a
            // peer that already switched its read epoch drops a whole datagram whose first record is
            // from epoch 0 (BouncyCastle does) and would never see the packed Finished.
            var buffer = _sendBuffer.AsSpan();
            buffer[0] = ChangeCipherSpec;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[1..], Dtls12);
            BinaryPrimitives.WriteUInt64BigEndian(buffer[3..], _epoch0WriteSequence++ & SequenceMask);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[11..], 1);
            buffer[HeaderLength] = 1;
            const int ChangeCipherSpecLength = HeaderLength + 1;
            try
            {
                var packed = ChangeCipherSpecLength + WriteRecord(buffer[ChangeCipherSpecLength..], Handshake, finished);
                _lower.Send(buffer[..packed]);
                _lower.Send(buffer[..WriteRecord(buffer, Handshake, finished)]);
                Interlocked.Increment(ref _retransmissions);
                _logger.LogDebug("DTLS final flight retransmitted after the client repeated its flight");
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void TrySendAlert(byte level, DtlsAlertDescription description)
    {
        try
        {
            SendAlert(level, description);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Encrypts one record of any content type and sends it as one datagram.</summary>
    internal void SendRecord(byte type, ReadOnlySpan<byte> plaintext)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var length = WriteRecord(_sendBuffer, type, plaintext);
            _lower.Send(_sendBuffer.AsSpan(0, length));
        }
    }

    // Caller holds _writeLock.
    private int WriteRecord(Span<byte> destination, byte type, ReadOnlySpan<byte> plaintext)
    {
        var sequence = _writeSequence++;
        if (sequence > SequenceMask)
        {
            // RFC 6347 §4.1: sequence numbers MUST NOT wrap; 2^48 records will not happen in practice.
            throw new DtlsException("DTLS record sequence numbers exhausted; the connection must be re-established.");
        }

        var epochAndSequence = _epochBits | sequence;
        var fragmentLength = plaintext.Length + _cipher.Overhead;
        destination[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], Dtls12);
        BinaryPrimitives.WriteUInt64BigEndian(destination[3..], epochAndSequence);
        BinaryPrimitives.WriteUInt16BigEndian(destination[11..], (ushort)fragmentLength);
        _cipher.Encrypt(epochAndSequence, type, Dtls12, plaintext, destination.Slice(HeaderLength, fragmentLength));
        return HeaderLength + fragmentLength;
    }

    private void Drop(string why)
    {
        Interlocked.Increment(ref _droppedRecords);
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            _logger.LogTrace("DTLS record dropped: {Reason}", why);
        }
    }
}
