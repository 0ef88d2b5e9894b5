using System.Net;
using Microsoft.Extensions.Logging;

namespace P2p.Testing.Interop;

/// <summary>How <see cref="ScenarioPeer"/> runs the scenario.</summary>
public sealed record ScenarioPeerOptions
{
    /// <summary>MiB of bulk data this side sends (PROTOCOL.md's <c>--mib</c>).</summary>
    public int Mib { get; init; } = 16;

    /// <summary>Give up after this long with a failed report.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Addresses that may be gathered and accepted from the peer: 127.0.0.1 and the lab range 198.51.100.0/24 by default.</summary>
    public Func<IPAddress, bool> AddressFilter { get; init; } = InteropAddresses.IsAllowed;

    /// <summary>
    /// Which candidate lines are signalled to the peer and accepted from it: loopback, 198.51.100.0/24 and mDNS names by
    /// default (<see cref="InteropAddresses.IsAllowedCandidate"/>). The NAT lab lets every candidate through: its
    /// addresses exist only inside the namespaces the test made.
    /// </summary>
    public Func<string, bool> CandidateFilter { get; init; } = InteropAddresses.IsAllowedCandidate;

    /// <summary>STUN and TURN servers of the peer connection; none by default (never a public one).</summary>
    public IReadOnlyList<P2p.WebRtc.RtcIceServer> IceServers { get; init; } = [];

    /// <summary>ICE settings of the peer connection (e.g. a namespace's socket factories, mDNS); the defaults when null.</summary>
    public P2p.WebRtc.Ice.IceAgentOptions? Ice { get; init; }

    /// <summary>Logging for the peer connection; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
