using System.Net;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Turn;

/// <summary>A peer the client sends to through its allocation: its channel binding (RFC 8656 §12) and cached addresses.</summary>
internal sealed class TurnPeer(IPEndPoint endPoint)
{
    public IPEndPoint EndPoint { get; } = endPoint;

    public EndpointKey Key { get; } = EndpointKey.From(endPoint);

    /// <summary>The address handed to the receive handler with this peer's data.</summary>
    public SocketAddress SocketAddress { get; } = endPoint.Serialize();

    /// <summary>The channel number, 0x4000–0x4FFF; 0 before a ChannelBind was sent.</summary>
    public ushort Channel { get; set; }

    /// <summary>The server confirmed the binding: data goes as ChannelData.</summary>
    public bool ChannelBound { get; set; }

    /// <summary>A ChannelBind is outstanding.</summary>
    public bool ChannelPending { get; set; }

    /// <summary>When to refresh the binding.</summary>
    public TimeSpan ChannelRefreshAt { get; set; } = TimeSpan.MaxValue;
}
