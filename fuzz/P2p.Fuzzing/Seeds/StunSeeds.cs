using System.Net;
using P2p.Fuzzing.Targets;
using P2p.WebRtc.Stun;

namespace P2p.Fuzzing.Seeds;

/// <summary>STUN messages as our ICE agent and a STUN server write them (StunMessageWriter).</summary>
internal static class StunSeeds
{
    private static readonly StunTransactionId Id = StunTransactionId.Read([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

    public static IEnumerable<Seed> All()
    {
        yield return new("binding-request-ice", Write(StunMethod.Binding, StunMessageClass.Request, (ref StunMessageWriter w) =>
        {
            w.AddString(StunAttributeType.Username, "abcd:efgh");
            w.AddUInt32(StunAttributeType.Priority, 1853824767);
            w.AddUInt64(StunAttributeType.IceControlling, 0x0102030405060708);
            w.AddEmpty(StunAttributeType.UseCandidate);
            w.AddMessageIntegrity(StunTarget.Key);
            w.AddFingerprint();
        }));
        yield return new("binding-success-v4", Write(StunMethod.Binding, StunMessageClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            w.AddXorAddress(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000));
            w.AddAddress(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000));
            w.AddMessageIntegrity(StunTarget.Key);
            w.AddFingerprint();
        }));
        yield return new("binding-success-v6", Write(StunMethod.Binding, StunMessageClass.SuccessResponse, (ref StunMessageWriter w) =>
        {
            w.AddXorAddress(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000));
            w.AddString(StunAttributeType.Software, "P2p");
            w.AddMessageIntegritySha256(StunTarget.Key);
            w.AddFingerprint();
        }));
        yield return new("binding-error-role-conflict", Write(StunMethod.Binding, StunMessageClass.ErrorResponse, (ref StunMessageWriter w) =>
        {
            w.AddErrorCode(487, "Role Conflict");
            w.AddUnknownAttributes([0x0024, 0x7777]);
            w.AddMessageIntegrity(StunTarget.Key);
            w.AddFingerprint();
        }));
        yield return new("binding-indication", Write(StunMethod.Binding, StunMessageClass.Indication, (ref StunMessageWriter w) => w.AddFingerprint()));
        yield return new("binding-request-bare", Write(StunMethod.Binding, StunMessageClass.Request, (ref StunMessageWriter w) => { }));
    }

    internal delegate void Build(ref StunMessageWriter writer);

    internal static byte[] Write(StunMethod method, StunMessageClass cls, Build build, StunTransactionId? id = null)
    {
        var buffer = new byte[1500];
        var w = new StunMessageWriter(buffer, method, cls, id ?? Id);
        build(ref w);
        return w.Written.ToArray();
    }
}
