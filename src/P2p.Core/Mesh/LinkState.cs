namespace P2p.Core.Mesh;

/// <summary>
/// Where a <see cref="PeerLink"/> stands: its one state. The member's <see cref="PeerState"/>, what the
/// application sees, follows from it (<see cref="LinkStates.ToPeerState"/>).
/// </summary>
internal enum LinkState
{
    /// <summary>Created, not started yet (Connecting).</summary>
    New,

    /// <summary>The remote offers to this side; none of its offers has come yet (Connecting).</summary>
    WaitingForOffer,

    /// <summary>This side's offer attempt is under way (Connecting).</summary>
    Offering,

    /// <summary>Answering the remote's offer; the connection is being set up (Connecting).</summary>
    Answering,

    /// <summary>Connected: the attempt's messenger carries messages (Connected).</summary>
    Connected,

    /// <summary>The connected attempt lost its path; ICE restarts may restore it within the recovery timeout (Interrupted).</summary>
    Interrupted,

    /// <summary>An attempt failed or no offer came in time; this side offers again after a back-off (Failed).</summary>
    RetryScheduled,

    /// <summary>An attempt failed or no offer came in time; the remote offers, so this side waits for its next offer (Failed).</summary>
    WaitingForNextOffer,

    /// <summary>An attempt failed while the signaling connection is closed: the member cannot be reached again and is being removed (Failed).</summary>
    Lost,

    /// <summary>The local member is leaving the group: the link only waits to be removed (Left).</summary>
    Closing,

    /// <summary>Removed for good: the remote left, or this member did (Left).</summary>
    Removed,
}

/// <summary>Helpers for <see cref="LinkState"/>.</summary>
internal static class LinkStates
{
    /// <summary>The member state the application sees for a link state.</summary>
    public static PeerState ToPeerState(this LinkState state) => state switch
    {
        LinkState.New or LinkState.WaitingForOffer or LinkState.Offering or LinkState.Answering => PeerState.Connecting,
        LinkState.Connected => PeerState.Connected,
        LinkState.Interrupted => PeerState.Interrupted,
        LinkState.RetryScheduled or LinkState.WaitingForNextOffer or LinkState.Lost => PeerState.Failed,
        _ => PeerState.Left,
    };

    /// <summary>True when the link is gone or going (no attempt may start).</summary>
    public static bool IsFinal(this LinkState state) => state is LinkState.Closing or LinkState.Removed;
}
