using P2p.WebRtc.DataChannels;

namespace P2p.Fuzzing.Seeds;

/// <summary>DATA_CHANNEL_OPEN of every channel type and DATA_CHANNEL_ACK, as our DataChannelManager writes them.</summary>
internal static class DcepSeeds
{
    public static IEnumerable<Seed> All()
    {
        yield return new("ack", [(byte)DcepMessageType.Ack]);
        foreach (var type in Enum.GetValues<DataChannelType>())
        {
            var open = new DataChannelOpenMessage(type, 256, type is DataChannelType.Reliable or DataChannelType.ReliableUnordered ? 0u : 3u, "chat", type == DataChannelType.Reliable ? "" : "json");
            var bytes = new byte[open.EncodedLength];
            open.Write(bytes);
            yield return new($"open-{type}", bytes);
        }
    }
}
