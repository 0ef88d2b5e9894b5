namespace P2p.WebRtc.DataChannels;

/// <summary>The Message Type byte of a DCEP message (RFC 8832 §8.2.1).</summary>
public enum DcepMessageType : byte
{
    /// <summary>DATA_CHANNEL_ACK (RFC 8832 §5.2).</summary>
    Ack = 0x02,

    /// <summary>DATA_CHANNEL_OPEN (RFC 8832 §5.1).</summary>
    Open = 0x03,
}
