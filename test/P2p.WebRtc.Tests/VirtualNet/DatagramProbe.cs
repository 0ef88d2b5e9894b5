using System.Net;
using System.Text;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>A started virtual socket that records what it receives (text, source, virtual arrival time).</summary>
public sealed class DatagramProbe : IDisposable
{
    private readonly List<(string Text, IPEndPoint From, TimeSpan At)> _received = [];

    public DatagramProbe(VirtualHost host, int port = 0)
    {
        Socket = host.BindSocket(host.Address, port);
        Socket.Start((datagram, remote) =>
        {
            lock (_received)
            {
                _received.Add((Encoding.UTF8.GetString(datagram), (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(remote), host.Network.Now));
            }
        });
    }

    public VirtualSocket Socket { get; }

    public IPEndPoint EndPoint => Socket.LocalEndPoint;

    public IReadOnlyList<(string Text, IPEndPoint From, TimeSpan At)> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public IPEndPoint? LastFrom => Received.Count == 0 ? null : Received[^1].From;

    public void Send(string text, IPEndPoint to) => Socket.Send(Encoding.UTF8.GetBytes(text), to);

    public void Send(int size, IPEndPoint to) => Socket.Send(new byte[size], to);

    public void Dispose() => Socket.Dispose();
}
