using System.Net;
using P2p.Fuzzing.Support;
using P2p.WebRtc.Ice;
using P2p.WebRtc.Sdp;
using P2p.WebRtc.Stun;
using T = P2p.Fuzzing.Targets.IceChecksTarget;

namespace P2p.Fuzzing.Seeds;

/// <summary>
/// Conversations with the ICE agent of <see cref="Targets.IceChecksTarget"/>, in its input format: a peer's checks as an ICE agent
/// writes them (RFC 8445 §7.2.2: USERNAME "theirs:ours" from the sender's view, PRIORITY, ICE-CONTROLLING or
/// ICE-CONTROLLED, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT), answers to the agent's checks (success with
/// XOR-MAPPED-ADDRESS, 487 role conflict), a STUN server's answer, keepalive indications and DTLS-looking data. The
/// target fixes transaction ids and integrity up, so the placeholders written here become valid.
/// </summary>
internal static class IceChecksSeeds
{
    private const ulong Low = 0x0000_0000_0000_0001;
    private const ulong High = 0xFFFF_FFFF_FFFF_FFFF;
    private static readonly IPEndPoint OurHost = new(FakeDatagramSocketFactory.LocalAddress, FakeDatagramSocketFactory.FirstPort);
    private static readonly IPEndPoint OurMapped = new(IPAddress.Parse("203.0.113.77"), 41000);
    private static readonly string Username = T.LocalUfrag + ":" + T.RemoteUfrag;

    /// <summary>A DTLS 1.2 ClientHello record header and the start of its handshake (RFC 6347 §4.1): the agent hands it to the transport.</summary>
    private static readonly byte[] Dtls = [22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static IEnumerable<Seed> All()
    {
        yield return new("controlled-nominated", Input(T.SetupControlled | T.SetupRemoteFirst,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(1, Username, IceRole.Controlling, Low, useCandidate: true, T.LocalKey)),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, Success(OurHost, T.RemoteKey)),
            Datagram(T.FromRemoteHost1 | T.Step50Ms, Dtls),
            Wait(T.Step9S),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step600Ms, Success(OurHost, T.RemoteKey)),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step9S, Check(2, Username, IceRole.Controlling, Low, useCandidate: true, T.LocalKey))));

        yield return new("controlling-nominates", Input(0,
            Wait(T.Step50Ms),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, Success(OurHost, T.RemoteKey)),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, Success(OurHost, T.RemoteKey)),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(3, Username, IceRole.Controlled, High, useCandidate: false, T.LocalKey)),
            Datagram(T.FromRemoteHost1 | T.Step2Ms, Dtls),
            Wait(T.Step9S),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step9S, Success(OurHost, T.RemoteKey)),
            Wait(T.Step9S),
            Wait(T.Step9S)));

        yield return new("peer-reflexive", Input(T.SetupControlled | T.SetupSecondCandidate | T.SetupEndOfCandidates | T.SetupRemoteFirst,
            Datagram(T.FromUnsignalled1 | T.FixUp | T.Step50Ms, Check(4, Username, IceRole.Controlling, Low, useCandidate: true, T.LocalKey)),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, Success(OurMapped, T.RemoteKey)),
            Datagram(T.FromUnsignalled2 | T.FixUp | T.Step50Ms, Check(5, Username, IceRole.Controlling, Low, useCandidate: true, T.LocalKey)),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step600Ms, Success(OurMapped, T.RemoteKey))));

        yield return new("role-conflict-487", Input(T.SetupSecondCandidate,
            Wait(T.Step50Ms),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, RoleConflict(T.RemoteKey)),
            Wait(T.Step50Ms),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step600Ms, Success(OurHost, T.RemoteKey))));

        yield return new("role-conflict-we-win", Input(0,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(6, Username, IceRole.Controlling, Low, useCandidate: false, T.LocalKey))));
        yield return new("role-conflict-they-win", Input(0,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(7, Username, IceRole.Controlling, High, useCandidate: true, T.LocalKey))));
        yield return new("role-conflict-controlled", Input(T.SetupControlled,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(8, Username, IceRole.Controlled, Low, useCandidate: false, T.LocalKey)),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(9, Username, IceRole.Controlled, High, useCandidate: false, T.LocalKey))));

        yield return new("binding-indication", Input(T.SetupControlled,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Write(StunMessageClass.Indication, 10, (ref StunMessageWriter w) => w.AddFingerprint())),
            Datagram(T.FromUnsignalled1 | T.Step600Ms, Write(StunMessageClass.Indication, 11, (ref StunMessageWriter w) => { }))));

        yield return new("dtls-before-check", Input(T.SetupControlled | T.SetupRemoteFirst,
            Datagram(T.FromRemoteHost1 | T.Step2Ms, Dtls),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step2Ms, Check(12, Username, IceRole.Controlling, Low, useCandidate: false, T.LocalKey)),
            Datagram(T.FromRemoteHost1 | T.Step2Ms, Dtls),
            Datagram(T.FromRemoteHost2 | T.Step2Ms, Dtls),
            Datagram(T.FromRemoteHost1 | T.Step2Ms, [0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]))); // RTP: dropped (RFC 7983)

        yield return new("stun-server", Input(T.SetupStunServer,
            Datagram(T.FromStunServer | T.FixUp | (1 << 4) | T.Step50Ms, Write(StunMessageClass.SuccessResponse, 13, (ref StunMessageWriter w) =>
            {
                w.AddXorAddress(new IPEndPoint(IPAddress.Parse("203.0.113.50"), 50000));
                w.AddFingerprint();
            })),
            Wait(T.Step9S)));

        yield return new("unauthenticated", Input(T.SetupControlled,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step2Ms, Write(StunMessageClass.Request, 14, (ref StunMessageWriter w) =>
            {
                w.AddString(StunAttributeType.Username, Username);
                w.AddUInt32(StunAttributeType.Priority, PeerReflexivePriority);
                w.AddFingerprint();
            })),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step2Ms, Check(15, "fzXX:" + T.RemoteUfrag, IceRole.Controlling, Low, useCandidate: false, T.LocalKey)),
            Datagram(T.FromRemoteHost1 | T.Step2Ms, Check(16, Username, IceRole.Controlling, Low, useCandidate: false, T.RemoteKey)),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step2Ms, Write(StunMessageClass.Request, 17, (ref StunMessageWriter w) =>
            {
                w.AddString(StunAttributeType.Username, Username);
                w.AddMessageIntegrity(T.LocalKey);
                w.AddFingerprint();
            })),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step2Ms, Write(StunMessageClass.Request, 18, (ref StunMessageWriter w) =>
            {
                w.AddString(StunAttributeType.Username, Username);
                w.AddUInt32(StunAttributeType.Priority, PeerReflexivePriority);
                w.AddAttribute(0x0031, [1, 2, 3, 4]); // comprehension-required and unknown: 420
                w.AddMessageIntegrity(T.LocalKey);
                w.AddFingerprint();
            }))));

        yield return new("restart", Input(T.SetupControlled | T.SetupRemoteFirst,
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(19, Username, IceRole.Controlling, Low, useCandidate: true, T.LocalKey)),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, Success(OurHost, T.RemoteKey)),
            [T.FixUp | T.Step50Ms], // restart
            Datagram(T.FromRemoteHost1 | T.FixUp | T.PreviousGeneration | T.Step50Ms, Check(20, Username, IceRole.Controlling, Low, useCandidate: false, T.LocalKey)),
            Datagram(T.FromRemoteHost1 | T.FixUp | T.Step50Ms, Check(21, T.RestartUfrag + ":" + T.RestartRemoteUfrag, IceRole.Controlling, Low, useCandidate: true, T.RestartLocalKey)),
            Datagram(T.FromRequestDestination | T.FixUp | T.Step50Ms, Success(OurHost, T.RestartRemoteKey))));
    }

    private static uint PeerReflexivePriority => IcePriority.Candidate(IceCandidateType.PeerReflexive, 0xFFFF);

    private static byte[] Input(int setup, params byte[][] messages) => [(byte)setup, .. FuzzInput.Join(messages)];

    private static byte[] Datagram(int control, byte[] datagram) => [(byte)control, .. datagram];

    /// <summary>Only moves the clock (a control byte without a datagram and without the fix-up bit).</summary>
    private static byte[] Wait(int step) => [(byte)step];

    private static byte[] Check(byte id, string username, IceRole role, ulong tieBreaker, bool useCandidate, byte[] key) =>
        Write(StunMessageClass.Request, id, (ref StunMessageWriter w) =>
        {
            w.AddString(StunAttributeType.Username, username);
            w.AddUInt32(StunAttributeType.Priority, PeerReflexivePriority);
            w.AddUInt64(role == IceRole.Controlling ? StunAttributeType.IceControlling : StunAttributeType.IceControlled, tieBreaker);
            if (useCandidate)
            {
                w.AddEmpty(StunAttributeType.UseCandidate);
            }

            w.AddMessageIntegrity(key);
            w.AddFingerprint();
        });

    private static byte[] Success(IPEndPoint mapped, byte[] key) => Write(StunMessageClass.SuccessResponse, 0, (ref StunMessageWriter w) =>
    {
        w.AddXorAddress(mapped);
        w.AddMessageIntegrity(key);
        w.AddFingerprint();
    });

    private static byte[] RoleConflict(byte[] key) => Write(StunMessageClass.ErrorResponse, 0, (ref StunMessageWriter w) =>
    {
        w.AddErrorCode(StunErrorCodes.RoleConflict, "Role Conflict");
        w.AddMessageIntegrity(key);
        w.AddFingerprint();
    });

    /// <summary>A Binding message with the transaction id 0xA5 ×11 and <paramref name="id"/> (answers get the real one from the target).</summary>
    private static byte[] Write(StunMessageClass cls, byte id, StunSeeds.Build build)
    {
        byte[] transaction = [0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, id];
        return StunSeeds.Write(StunMethod.Binding, cls, build, StunTransactionId.Read(transaction));
    }
}
