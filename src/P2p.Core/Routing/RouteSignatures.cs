using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using P2p.Core.Framing;
using P2p.Core.Identity;

namespace P2p.Core.Routing;

/// <summary>
/// The origin signatures of relayed messages and acks (docs/protocol.md, "Relayed members (extension)"): ECDSA P-256 /
/// SHA-256, IEEE P1363, over a short transcript (and, for a message, its bytes).
/// </summary>
internal static class RouteSignatures
{
    /// <summary>Signs a relayed message from <paramref name="origin"/> to <paramref name="destination"/>.</summary>
    public static byte[] SignData(IdentityKey key, string groupId, string origin, string destination, uint seq, FrameKind kind, uint messageId, ReadOnlySpan<byte> message) =>
        key.SignHash(DataDigest(groupId, origin, destination, seq, kind, messageId, message));

    /// <summary>Verifies a relayed message's signature with the origin's key.</summary>
    public static bool VerifyData(ECDsa originKey, ReadOnlySpan<byte> signature, string groupId, string origin, string destination, uint seq, FrameKind kind, uint messageId, ReadOnlySpan<byte> message) =>
        Verify(originKey, DataDigest(groupId, origin, destination, seq, kind, messageId, message), signature);

    /// <summary>Signs the ack of message <paramref name="seq"/> that <paramref name="origin"/> (the acknowledging member) sends to <paramref name="destination"/>.</summary>
    public static byte[] SignAck(IdentityKey key, string groupId, string origin, string destination, uint seq) =>
        key.Sign(AckTranscript(groupId, origin, destination, seq));

    /// <summary>Verifies an ack's signature with the acknowledging member's key.</summary>
    public static bool VerifyAck(ECDsa originKey, ReadOnlySpan<byte> signature, string groupId, string origin, string destination, uint seq) =>
        Verify(originKey, SHA256.HashData(AckTranscript(groupId, origin, destination, seq)), signature);

    /// <summary>Imports a verified identity's public key for checking signatures.</summary>
    public static ECDsa ImportKey(PeerIdentity identity)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(identity.PublicKey.Span, out _);
        return key;
    }

    private static byte[] DataDigest(string groupId, string origin, string destination, uint seq, FrameKind kind, uint messageId, ReadOnlySpan<byte> message)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"p2p-routed-v1\ngroup:{groupId}\norigin:{origin}\ndestination:{destination}\nseq:{seq}\nkind:{(byte)kind}\nid:{messageId}\n")));
        hash.AppendData(message);
        return hash.GetHashAndReset();
    }

    private static byte[] AckTranscript(string groupId, string origin, string destination, uint seq) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"p2p-routed-ack-v1\ngroup:{groupId}\norigin:{origin}\ndestination:{destination}\nseq:{seq}"));

    private static bool Verify(ECDsa key, byte[] digest, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != IdentityHandshake.SignatureBytes)
        {
            return false;
        }

        try
        {
            return key.VerifyHash(digest, signature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (Exception ex) when (ex is CryptographicException or ObjectDisposedException)
        {
            return false;
        }
    }
}
