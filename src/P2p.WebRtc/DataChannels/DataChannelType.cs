namespace P2p.WebRtc.DataChannels;

/// <summary>The Channel Type field of DATA_CHANNEL_OPEN (RFC 8832 §5.1). Bit 0x80 marks unordered delivery.</summary>
public enum DataChannelType : byte
{
    /// <summary>Reliable, ordered.</summary>
    Reliable = 0x00,

    /// <summary>Partially reliable by number of retransmissions, ordered.</summary>
    PartialReliableRexmit = 0x01,

    /// <summary>Partially reliable by lifetime in milliseconds, ordered.</summary>
    PartialReliableTimed = 0x02,

    /// <summary>Reliable, unordered.</summary>
    ReliableUnordered = 0x80,

    /// <summary>Partially reliable by number of retransmissions, unordered.</summary>
    PartialReliableRexmitUnordered = 0x81,

    /// <summary>Partially reliable by lifetime in milliseconds, unordered.</summary>
    PartialReliableTimedUnordered = 0x82,
}
