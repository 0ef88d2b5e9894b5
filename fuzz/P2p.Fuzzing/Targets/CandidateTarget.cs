using System.Text;
using P2p.WebRtc.Sdp;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// A trickled ICE candidate (RFC 8839 §5.1) as it arrives in a relayed <c>{"type":"candidate","candidate":…}</c>:
/// <see cref="IceCandidate.Parse"/>, its accessors, and the round trip through <see cref="IceCandidate.ToString"/>.
/// Bad input is an <see cref="SdpParseException"/>.
/// </summary>
internal static class CandidateTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        IceCandidate candidate;
        try
        {
            candidate = IceCandidate.Parse(Encoding.UTF8.GetString(data));
        }
        catch (SdpParseException)
        {
            return;
        }

        Inspect(candidate);
        Inspect(IceCandidate.Parse(candidate.ToString())); // must not throw: we wrote it
    }

    internal static void Inspect(IceCandidate candidate)
    {
        _ = candidate.IsUdp;
        _ = candidate.IPAddress;
        _ = candidate.EndPoint;
        _ = candidate.Ufrag;
        _ = candidate.Generation;
        _ = candidate.ToAttributeValue();
    }
}
