using P2p.Core;
using P2p.Signaling.WebSockets;
using P2p.Transport.WebRtc;

namespace P2p.Hosting;

/// <summary>
/// What <see cref="P2pServiceCollectionExtensions.AddP2p"/> registers: the signaling server to connect to, the signaling
/// channel's settings, the WebRTC transport (ICE servers and the rest) and the service's settings. Validated when the host
/// starts.
/// </summary>
public sealed class P2pClientOptions
{
    /// <summary>The signaling server's WebSocket address (<c>ws://</c> or <c>wss://</c>); required.</summary>
    public Uri? SignalingUri { get; set; }

    /// <summary>The signaling channel's settings (timeouts, reconnection, access token).</summary>
    public WebSocketSignalingChannelOptions Signaling { get; set; } = new();

    /// <summary>The WebRTC transport: ICE servers (<see cref="WebRtcTransportOptions.IceServers"/>), policies, limits.</summary>
    public WebRtcTransportOptions Transport { get; set; } = new();

    /// <summary>The service's settings (timeouts, retries, default group options). Its logger factory defaults to the host's.</summary>
    public P2pOptions Service { get; set; } = new();
}
