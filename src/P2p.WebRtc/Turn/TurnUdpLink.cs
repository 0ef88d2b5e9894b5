using System.Net;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Turn;

/// <summary>A TURN server over UDP: one socket of the agent's socket factory; datagrams from anyone but the server are dropped.</summary>
internal sealed class TurnUdpLink(IDatagramSocket socket, IPEndPoint server) : ITurnServerLink
{
    private readonly SocketAddress _server = server.Serialize();

    public IPEndPoint Server { get; } = server;

    public bool IsReliable => false;

    public void Start(TurnServerMessageHandler handler, Action<Exception?> closed) =>
        socket.Start((datagram, remote) =>
        {
            if (remote.Equals(_server))
            {
                handler(datagram);
            }
        });

    public bool Send(ReadOnlySpan<byte> message)
    {
        try
        {
            return socket.Send(message, _server);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose() => socket.Dispose();
}
