using System.Text.Json;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>The signaling methods, recognised without allocating a string.</summary>
internal enum JsonRpcMethod : byte
{
    Unknown,
    Init,
    Create,
    Join,
    Leave,
    GetMembers,
    GetGroup,
    Relay,
    GetIceServers,
    GetResumeToken,
    Resume,
    MemberJoined,
    MemberLeft,
}
