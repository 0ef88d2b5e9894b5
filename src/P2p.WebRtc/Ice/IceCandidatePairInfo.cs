using System.Net;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Ice;

/// <summary>A snapshot of one candidate pair.</summary>
/// <param name="Local">The local candidate (its base sends and receives).</param>
/// <param name="Remote">The remote candidate.</param>
/// <param name="State">The check state.</param>
/// <param name="Priority">The pair priority (RFC 8445 §6.1.2.3) for the agent's current role.</param>
/// <param name="Nominated">Whether the pair has been nominated.</param>
public sealed record IceCandidatePairInfo(IceCandidate Local, IceCandidate Remote, IceCandidatePairState State, ulong Priority, bool Nominated)
{
    /// <summary>
    /// Where the pair sends: the remote candidate's address, or the address its mDNS <c>.local</c> name resolved to
    /// (<see cref="Remote"/> then keeps the name, as signalled). <see langword="null"/> when not known.
    /// </summary>
    public IPEndPoint? RemoteEndPoint { get; init; }

    /// <summary>Formats the pair as <c>local ↔ remote</c>.</summary>
    public override string ToString() => $"{Local.Address}:{Local.Port} ({IceCandidate.TypeToString(Local.Type)}) <-> {Remote.Address}:{Remote.Port} ({IceCandidate.TypeToString(Remote.Type)}) {State}{(Nominated ? " nominated" : string.Empty)}";
}
