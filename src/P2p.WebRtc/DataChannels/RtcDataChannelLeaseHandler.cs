namespace P2p.WebRtc.DataChannels;

/// <summary>Handles a message received as a lease of a pooled buffer (<see cref="RtcDataChannel.PooledMessageReceived"/>).</summary>
/// <param name="channel">The channel the message came on.</param>
/// <param name="message">The message; dispose it once consumed (see <see cref="RtcDataChannelMessageLease"/>).</param>
public delegate void RtcDataChannelLeaseHandler(RtcDataChannel channel, RtcDataChannelMessageLease message);
