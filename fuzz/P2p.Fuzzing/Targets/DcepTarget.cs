using P2p.WebRtc.DataChannels;

namespace P2p.Fuzzing.Targets;

/// <summary>
/// DCEP (RFC 8832) as it arrives on a stream with PPID 50: the DATA_CHANNEL_ACK test, the DATA_CHANNEL_OPEN parse,
/// the channel the manager builds from it (<see cref="DataChannelManager.CreateAnnounced"/>), and the round trip
/// through <see cref="DataChannelOpenMessage.Write"/>. Bad input is a false from TryParse, never thrown.
/// </summary>
internal static class DcepTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        // The manager tests for ACK first; parsing first here is the same outcome (an ACK never parses as OPEN) and
        // makes every input reach instrumented code, which afl-fuzz requires of each seed.
        if (!DataChannelOpenMessage.TryParse(data, out var open) || (data.Length == 1 && data[0] == (byte)DcepMessageType.Ack))
        {
            return;
        }

        var channel = DataChannelManager.CreateAnnounced(open!, 1);
        _ = (channel.Label, channel.Protocol, channel.Ordered, channel.MaxRetransmits, channel.MaxPacketLifeTime, channel.Priority);
        var written = new byte[open!.EncodedLength];
        var length = open.Write(written);
        if (!DataChannelOpenMessage.TryParse(written.AsSpan(0, length), out var again) || again != open)
        {
            throw new InvalidOperationException("DATA_CHANNEL_OPEN did not survive its own round trip.");
        }
    }
}
