using System.Text;

namespace P2p.Fuzzing.Seeds;

/// <summary>Candidates in the shapes our agent writes (host, server reflexive, relayed, TCP, IPv6).</summary>
internal static class CandidateSeeds
{
    public static IEnumerable<Seed> All()
    {
        string[] lines =
        [
            "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
            "candidate:2 1 udp 1694498815 203.0.113.5 50001 typ srflx raddr 127.0.0.1 rport 50000 generation 0 ufrag Fz9q",
            "a=candidate:3 1 udp 16777215 198.18.0.1 49160 typ relay raddr 203.0.113.5 rport 50001",
            "candidate:4 1 tcp 1518280447 ::1 9 typ host tcptype active",
            "candidate:5 1 UDP 2122252543 6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab.local 50002 typ host",
        ];
        return lines.Select((l, i) => new Seed($"candidate-{i}", Encoding.UTF8.GetBytes(l)));
    }
}
