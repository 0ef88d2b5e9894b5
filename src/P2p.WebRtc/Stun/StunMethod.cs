namespace P2p.WebRtc.Stun;

/// <summary>
/// STUN methods: Binding (RFC 8489 §18.2) and the TURN methods (RFC 8656 §17) for a later TURN client.
/// </summary>
public enum StunMethod : ushort
{
    /// <summary>Binding (0x001): address discovery and ICE connectivity checks.</summary>
    Binding = 0x001,

    /// <summary>TURN Allocate (0x003).</summary>
    Allocate = 0x003,

    /// <summary>TURN Refresh (0x004).</summary>
    Refresh = 0x004,

    /// <summary>TURN Send (0x006), an indication.</summary>
    Send = 0x006,

    /// <summary>TURN Data (0x007), an indication.</summary>
    Data = 0x007,

    /// <summary>TURN CreatePermission (0x008).</summary>
    CreatePermission = 0x008,

    /// <summary>TURN ChannelBind (0x009).</summary>
    ChannelBind = 0x009,
}
