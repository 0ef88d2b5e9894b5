using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using P2p.Core.Framing;

namespace P2p.Core.Identity;

/// <summary>
/// The identity handshake's bytes (docs/protocol.md, "Identity (extension)"): the Identity frame's payload, the
/// transcript both sides sign, and verification. Sans-I/O.
/// </summary>
internal static class IdentityHandshake
{
    /// <summary>The payload version.</summary>
    public const byte PayloadVersion = 1;

    /// <summary>The longest name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    /// <summary>The length of an IEEE P1363 P-256 signature.</summary>
    public const int SignatureBytes = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The transcript: UTF-8 lines joined by "\n", no trailing newline.</summary>
    public static byte[] Transcript(string groupId, string name, string signerId, string peerId, string? signerFingerprint, string? peerFingerprint) =>
        Encoding.UTF8.GetBytes(string.Join('\n',
            "p2p-identity-v1",
            "group:" + groupId,
            "name:" + name,
            "signer:" + signerId,
            "peer:" + peerId,
            "signer-fingerprint:" + (signerFingerprint ?? ""),
            "peer-fingerprint:" + (peerFingerprint ?? "")));

    /// <summary>Builds this side's whole Identity frame (header and payload).</summary>
    public static byte[] CreateFrame(IdentityKey key, string name, string groupId, string localId, string remoteId, string? localFingerprint, string? remoteFingerprint)
    {
        var signature = key.Sign(Transcript(groupId, name, localId, remoteId, localFingerprint, remoteFingerprint));
        return EncodeFrame(Encoding.UTF8.GetBytes(name), key.PublicKey.Span, signature);
    }

    /// <summary>Builds an Identity frame from its parts (no checks: tests use it to build bad frames too).</summary>
    public static byte[] EncodeFrame(ReadOnlySpan<byte> name, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature)
    {
        var payloadLength = 1 + 2 + name.Length + 2 + publicKey.Length + 2 + signature.Length;
        var frame = new byte[FrameHeader.Size + payloadLength];
        frame[0] = (FrameHeader.Version << 4) | (byte)FrameKind.Identity;
        frame[1] = 0x01; // final
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(6), (uint)payloadLength); // message id 0, total = payload
        var span = frame.AsSpan(FrameHeader.Size);
        span[0] = PayloadVersion;
        var at = 1;
        foreach (var field in new[] { name.ToArray(), publicKey.ToArray(), signature.ToArray() })
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)field.Length);
            field.CopyTo(span[(at + 2)..]);
            at += 2 + field.Length;
        }

        return frame;
    }

    /// <summary>
    /// Checks a frame that claims to be an Identity frame and verifies it against the receiver's view. Returns the verified
    /// identity, or the reason (<see cref="IdentityFailureReason.Malformed"/>, <see cref="IdentityFailureReason.BadSignature"/>)
    /// and a description. Never throws.
    /// </summary>
    public static PeerIdentity? Verify(
        ReadOnlySpan<byte> frame, string groupId, string signerId, string localId, string? remoteFingerprint, string? localFingerprint,
        out IdentityFailureReason reason, out string problem)
    {
        reason = IdentityFailureReason.Malformed;
        if (frame.Length < FrameHeader.Size || frame[0] != ((FrameHeader.Version << 4) | (byte)FrameKind.Identity))
        {
            problem = "not an Identity frame";
            return null;
        }

        if (frame[1] != 0x01 || BinaryPrimitives.ReadUInt32BigEndian(frame[2..]) != 0 || BinaryPrimitives.ReadUInt32BigEndian(frame[6..]) != frame.Length - FrameHeader.Size)
        {
            problem = "the Identity frame is not one whole fragment with message id 0";
            return null;
        }

        return VerifyPayload(
            frame[FrameHeader.Size..], name => Transcript(groupId, name, signerId, localId, remoteFingerprint, localFingerprint), out reason, out problem);
    }

    /// <summary>The transcript of a proof carried by a route probe (docs/protocol.md, "Relayed members (extension)").</summary>
    public static byte[] RoutedTranscript(string groupId, string name, string signerId, string peerId) =>
        Encoding.UTF8.GetBytes(string.Join('\n',
            "p2p-identity-routed-v1",
            "group:" + groupId,
            "name:" + name,
            "signer:" + signerId,
            "peer:" + peerId));

    /// <summary>This side's identity proof for a route probe: an Identity frame's payload signed over the routed transcript.</summary>
    public static byte[] CreateRoutedProof(IdentityKey key, string name, string groupId, string localId, string remoteId)
    {
        var signature = key.Sign(RoutedTranscript(groupId, name, localId, remoteId));
        return EncodeFrame(Encoding.UTF8.GetBytes(name), key.PublicKey.Span, signature)[FrameHeader.Size..];
    }

    /// <summary>Verifies a route probe's identity proof from <paramref name="signerId"/> to this member. Never throws.</summary>
    public static PeerIdentity? VerifyRoutedProof(
        ReadOnlySpan<byte> payload, string groupId, string signerId, string localId, out IdentityFailureReason reason, out string problem) =>
        VerifyPayload(payload, name => RoutedTranscript(groupId, name, signerId, localId), out reason, out problem);

    private static PeerIdentity? VerifyPayload(ReadOnlySpan<byte> payload, Func<string, byte[]> transcriptOf, out IdentityFailureReason reason, out string problem)
    {
        reason = IdentityFailureReason.Malformed;
        if (!TryDecode(payload, out var name, out var publicKey, out var signature, out problem))
        {
            return null;
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKey, out var read);
            if (read != publicKey.Length || !IdentityKey.IsP256(key))
            {
                problem = "the public key is not a P-256 SubjectPublicKeyInfo";
                return null;
            }
        }
        catch (CryptographicException)
        {
            problem = "the public key is not a P-256 SubjectPublicKeyInfo";
            return null;
        }

        var transcript = transcriptOf(name);
        bool valid;
        try
        {
            valid = key.VerifyData(transcript, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            valid = false;
        }

        if (!valid)
        {
            reason = IdentityFailureReason.BadSignature;
            problem = "the signature does not match this connection (fingerprints, member ids or group differ) or the key";
            return null;
        }

        problem = "";
        var keyBytes = publicKey.ToArray();
        return new PeerIdentity(name, IdentityKey.ComputeKeyId(keyBytes), keyBytes);
    }

    private static bool TryDecode(ReadOnlySpan<byte> payload, out string name, out ReadOnlySpan<byte> publicKey, out ReadOnlySpan<byte> signature, out string problem)
    {
        name = "";
        publicKey = default;
        signature = default;
        if (payload.Length < 1 || payload[0] != PayloadVersion)
        {
            problem = payload.Length < 1 ? "the payload is empty" : $"unknown payload version {payload[0]}";
            return false;
        }

        var at = 1;
        if (!TryField(payload, ref at, out var nameRange) || !TryField(payload, ref at, out var keyRange) || !TryField(payload, ref at, out var signatureRange))
        {
            problem = "a field's length runs past the payload";
            return false;
        }

        if (at != payload.Length)
        {
            problem = $"{payload.Length - at} trailing bytes";
            return false;
        }

        var nameBytes = payload[nameRange];
        publicKey = payload[keyRange];
        signature = payload[signatureRange];

        if (nameBytes.Length > MaxNameBytes)
        {
            problem = $"the name is longer than {MaxNameBytes} bytes";
            return false;
        }

        if (signature.Length != SignatureBytes)
        {
            problem = $"the signature is {signature.Length} bytes, not {SignatureBytes}";
            return false;
        }

        try
        {
            name = StrictUtf8.GetString(nameBytes);
        }
        catch (ArgumentException)
        {
            problem = "the name is not UTF-8";
            return false;
        }

        problem = "";
        return true;
    }

    private static bool TryField(ReadOnlySpan<byte> payload, ref int at, out Range field)
    {
        field = default;
        if (payload.Length - at < 2)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(payload[at..]);
        if (payload.Length - at - 2 < length)
        {
            return false;
        }

        field = new Range(at + 2, at + 2 + length);
        at += 2 + length;
        return true;
    }
}
