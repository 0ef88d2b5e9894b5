using P2p.Signaling.Server;

namespace P2p.Testing;

/// <summary>The real signaling server (Kestrel) on 127.0.0.1 and a free port.</summary>
public static class SignalingServer
{
    /// <summary>Starts a server; dispose it to stop it.</summary>
    public static Task<EmbeddedSignalingServer> StartAsync(Action<SignalingServerOptions>? configure = null) =>
        EmbeddedSignalingServer.StartAsync(new EmbeddedSignalingServerOptions { Configure = configure });
}
