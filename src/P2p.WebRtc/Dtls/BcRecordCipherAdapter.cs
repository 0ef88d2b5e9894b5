using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace P2p.WebRtc.Dtls;

/// <summary>
/// Presents a <see cref="DtlsRecordCipher"/> to BouncyCastle's DTLS record layer, which uses it
/// during the handshake (for the Finished messages), and remembers what the record layer did with
/// it so that <see cref="DtlsRecordLayer"/> can take over the epoch afterwards: the epoch, the
/// highest sequence number written, the authenticated sequence numbers read, and the last
/// handshake message written in the epoch (our Finished, which RFC 6347 §4.2.4 may require us to
/// retransmit after the handshake).
/// </summary>
internal sealed class BcRecordCipherAdapter : TlsCipher, TlsCipherExt
{
    private DtlsReplayWindow _readWindow;

    public BcRecordCipherAdapter(DtlsRecordCipher cipher)
    {
        Cipher = cipher;
    }

    public DtlsRecordCipher Cipher { get; }

    /// <summary>Epoch ‖ sequence number of the last record written with this cipher, or -1.</summary>
    public long LastWritten { get; private set; } = -1;

    /// <summary>The epoch of the records read with this cipher, or -1.</summary>
    public int ReadEpoch { get; private set; } = -1;

    /// <summary>The last handshake message written in this epoch (our Finished), or null.</summary>
    public byte[]? LastHandshakePlaintext { get; private set; }

    /// <summary>The replay window of the records read so far.</summary>
    public DtlsReplayWindow ReadWindow => _readWindow;

    public bool UsesOpaqueRecordType => false;

    public int GetCiphertextDecodeLimit(int plaintextLimit) => plaintextLimit + Cipher.Overhead;

    public int GetCiphertextEncodeLimit(int plaintextLength, int plaintextLimit) =>
        Math.Min(plaintextLength, plaintextLimit) + Cipher.Overhead;

    public int GetPlaintextLimit(int ciphertextLimit) => ciphertextLimit - Cipher.Overhead;

    public int GetPlaintextDecodeLimit(int ciphertextLimit) => ciphertextLimit - Cipher.Overhead;

    public int GetPlaintextEncodeLimit(int ciphertextLimit) => ciphertextLimit - Cipher.Overhead;

    public TlsEncodeResult EncodePlaintext(long seqNo, short contentType, ProtocolVersion recordVersion, int headerAllocation, byte[] plaintext, int offset, int len) =>
        EncodePlaintext(seqNo, contentType, recordVersion, headerAllocation, plaintext.AsSpan(offset, len));

    public TlsEncodeResult EncodePlaintext(long seqNo, short contentType, ProtocolVersion recordVersion, int headerAllocation, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[headerAllocation + plaintext.Length + Cipher.Overhead];
        Cipher.Encrypt((ulong)seqNo, (byte)contentType, (ushort)recordVersion.FullVersion, plaintext, output.AsSpan(headerAllocation));
        LastWritten = seqNo;
        if (contentType == ContentType.handshake)
        {
            LastHandshakePlaintext = plaintext.ToArray();
        }

        return new TlsEncodeResult(output, 0, output.Length, contentType);
    }

    public TlsDecodeResult DecodeCiphertext(long seqNo, short recordType, ProtocolVersion recordVersion, byte[] ciphertext, int offset, int len)
    {
        var plaintextLength = len - Cipher.Overhead;
        if (plaintextLength < 0)
        {
            // RFC 6347 §4.1.2.7: invalid records are silently discarded (BouncyCastle drops bad_record_mac).
            throw new TlsFatalAlert(AlertDescription.bad_record_mac);
        }

        var plaintext = new byte[plaintextLength];
        if (!Cipher.TryDecrypt((ulong)seqNo, (byte)recordType, (ushort)recordVersion.FullVersion, ciphertext.AsSpan(offset, len), plaintext))
        {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac);
        }

        plaintext.CopyTo(ciphertext, offset);
        ReadEpoch = (int)((ulong)seqNo >> 48);
        _readWindow.MarkReceived((ulong)seqNo & DtlsRecordLayer.SequenceMask);
        return new TlsDecodeResult(ciphertext, offset, plaintextLength, recordType);
    }

    public void RekeyDecoder() => throw new TlsFatalAlert(AlertDescription.internal_error);

    public void RekeyEncoder() => throw new TlsFatalAlert(AlertDescription.internal_error);
}
