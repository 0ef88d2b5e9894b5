using System.Buffers.Binary;
using System.Net;
using P2p.Fuzzing.Targets;
using P2p.WebRtc.Stun;

namespace P2p.Fuzzing.Seeds;

/// <summary>A TURN server's side of an allocation as a TCP stream (coturn's answers, written with StunMessageWriter).</summary>
internal static class TurnSeeds
{
    private static readonly byte[] Key = StunCredentials.LongTermKey("fuzz", TurnTarget.Realm, "fuzz");

    public static IEnumerable<Seed> All()
    {
        var challenge = StunSeeds.Write(StunMethod.Allocate, StunMessageClass.ErrorResponse, (ref StunMessageWriter w) =>
        {
            w.AddErrorCode(401, "Unauthorized");
            w.AddString(StunAttributeType.Realm, TurnTarget.Realm);
            w.AddString(StunAttributeType.Nonce, "6d2f1c0a9b8e7d6c");
            w.AddString(StunAttributeType.Software, "Coturn-4.6.1");
            w.AddFingerprint();
        });
        var allocated = StunSeeds.Write(StunMethod.Allocate, StunMessageClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            w.AddXorAddress(new IPEndPoint(IPAddress.Parse("198.18.0.1"), 49160), StunAttributeType.XorRelayedAddress);
            w.AddXorAddress(new IPEndPoint(IPAddress.Parse("203.0.113.5"), 50000));
            w.AddUInt32(StunAttributeType.Lifetime, 600);
            w.AddMessageIntegrity(Key);
            w.AddFingerprint();
        });
        var permission = StunSeeds.Write(StunMethod.CreatePermission, StunMessageClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            w.AddMessageIntegrity(Key);
            w.AddFingerprint();
        });
        var channel = StunSeeds.Write(StunMethod.ChannelBind, StunMessageClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            w.AddMessageIntegrity(Key);
            w.AddFingerprint();
        });
        var refresh = StunSeeds.Write(StunMethod.Refresh, StunMessageClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            w.AddUInt32(StunAttributeType.Lifetime, 600);
            w.AddMessageIntegrity(Key);
            w.AddFingerprint();
        });
        var stale = StunSeeds.Write(StunMethod.Refresh, StunMessageClass.ErrorResponse, (ref StunMessageWriter w) =>
        {
            w.AddErrorCode(438, "Stale Nonce");
            w.AddString(StunAttributeType.Realm, TurnTarget.Realm);
            w.AddString(StunAttributeType.Nonce, "0011223344556677");
            w.AddFingerprint();
        });
        var data = StunSeeds.Write(StunMethod.Data, StunMessageClass.Indication, (ref StunMessageWriter w) =>
        {
            w.AddXorAddress(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000), StunAttributeType.XorPeerAddress);
            w.AddAttribute(StunAttributeType.Data, [0x00, 0x01, 0x00, 0x00]);
            w.AddFingerprint();
        });
        var channelData = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(channelData, 0x4000);
        BinaryPrimitives.WriteUInt16BigEndian(channelData.AsSpan(2), 5);
        yield return new("challenge-allocate-permission-channel", Concat(challenge, allocated, permission, channel, channelData, data));
        yield return new("challenge-allocate-refresh-stale", Concat(challenge, allocated, refresh, stale, refresh));
        yield return new("allocate-error", Concat(StunSeeds.Write(StunMethod.Allocate, StunMessageClass.ErrorResponse, (ref StunMessageWriter w) =>
        {
            w.AddErrorCode(486, "Allocation Quota Reached");
            w.AddFingerprint();
        })));
    }

    private static byte[] Concat(params byte[][] messages) => messages.SelectMany(m => m).ToArray();
}
