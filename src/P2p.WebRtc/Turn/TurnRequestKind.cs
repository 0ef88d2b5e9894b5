namespace P2p.WebRtc.Turn;

/// <summary>What a request of the client is for.</summary>
internal enum TurnRequestKind
{
    /// <summary>Allocate (RFC 8656 §7.1).</summary>
    Allocate,

    /// <summary>Refresh of the allocation (§8.1), or its deletion with LIFETIME 0.</summary>
    Refresh,

    /// <summary>CreatePermission for one peer address (§10.1), new or refreshed.</summary>
    CreatePermission,

    /// <summary>ChannelBind of one peer (§12.1), new or refreshed.</summary>
    ChannelBind,
}
