using P2p.WebRtc.Dtls;

namespace P2p.Fuzzing.Support;

/// <summary>
/// A record "cipher" whose fragments are their plaintext and always authenticate: the DTLS target reaches our record
/// layer's code behind decryption (BouncyCastle and AES-GCM are not ours to fuzz).
/// </summary>
internal sealed class PassThroughRecordCipher : DtlsRecordCipher
{
    public override int Overhead => 0;

    public override string Name => "pass-through";

    public override void Encrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> plaintext, Span<byte> fragment) =>
        plaintext.CopyTo(fragment);

    public override bool TryDecrypt(ulong epochAndSequence, byte contentType, ushort version, ReadOnlySpan<byte> fragment, Span<byte> plaintext)
    {
        fragment.CopyTo(plaintext);
        return true;
    }

    public override void Dispose()
    {
    }
}
