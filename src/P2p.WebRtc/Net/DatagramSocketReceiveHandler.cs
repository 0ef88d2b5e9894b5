using System.Net;

namespace P2p.WebRtc.Net;

/// <summary>
/// Receives one datagram on an <see cref="IDatagramSocket"/>. The span and the address belong to the
/// socket and are reused after the call returns: copy what must outlive it.
/// </summary>
/// <param name="datagram">The datagram.</param>
/// <param name="remote">The sender's address.</param>
public delegate void DatagramSocketReceiveHandler(ReadOnlySpan<byte> datagram, SocketAddress remote);
