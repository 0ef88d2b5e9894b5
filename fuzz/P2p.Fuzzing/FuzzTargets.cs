using P2p.Fuzzing.Targets;

namespace P2p.Fuzzing;

/// <summary>Every fuzz target, by name (docs/fuzzing.md has the table).</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("stun", StunTarget.Run, "STUN messages and attributes (RFC 8489)"),
        new("ice-checks", IceChecksTarget.Run, "incoming STUN checks and answers into a running ICE agent (RFC 8445 §7, RFC 7675)"),
        new("turn", TurnTarget.Run, "a TURN server's TCP stream into a TURN allocation (RFC 8656)"),
        new("sdp", SdpTarget.Run, "session descriptions, the legacy DTLS/SCTP dialect included"),
        new("candidate", CandidateTarget.Run, "trickled ICE candidates (RFC 8839)"),
        new("dtls", DtlsTarget.Run, "the DTLS 1.2 record layer after the handshake"),
        new("sctp-chunks", SctpChunksTarget.Run, "SCTP packets: every chunk, parameter and error cause"),
        new("sctp-association", SctpAssociationTarget.Run, "SCTP packets into a sans-I/O association"),
        new("dcep", DcepTarget.Run, "DCEP DATA_CHANNEL_OPEN/ACK (RFC 8832)"),
        new("group-framing", GroupFramingTarget.Run, "P2p.Core frames, route frames, reassembly, error payloads, stream chunks"),
        new("signaling-client", SignalingClientTarget.Run, "JSON-RPC messages into the .NET signaling client"),
        new("signaling-server", SignalingServerTarget.Run, "JSON-RPC messages into the signaling server's connection"),
        new("backplane", BackplaneTarget.Run, "the Redis backplane's binary messages"),
        new("mdns", MdnsTarget.Run, "mDNS messages (RFC 6762)"),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
