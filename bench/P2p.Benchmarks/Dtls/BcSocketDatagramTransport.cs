using System.Net.Sockets;
using BcDatagramTransport = Org.BouncyCastle.Tls.DatagramTransport;

namespace P2p.Benchmarks.Dtls;

/// <summary>
/// BouncyCastle's blocking datagram interface over a connected UDP socket (receive timeouts via
/// SO_RCVTIMEO): the baseline "BouncyCastle DtlsTransport straight on a socket".
/// </summary>
internal sealed class BcSocketDatagramTransport(Socket socket, int mtu) : BcDatagramTransport
{
    private int _timeout = -1;

    public int GetReceiveLimit() => mtu;

    public int GetSendLimit() => mtu;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (waitMillis != _timeout)
        {
            socket.ReceiveTimeout = Math.Max(waitMillis, 1);
            _timeout = waitMillis;
        }

        try
        {
            return socket.Receive(buffer);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused)
        {
            return -1;
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        try
        {
            socket.Send(buffer);
        }
        catch (SocketException)
        {
        }
    }

    public void Close() => socket.Dispose();
}
