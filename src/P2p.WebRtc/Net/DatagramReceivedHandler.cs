namespace P2p.WebRtc.Net;

/// <summary>
/// Receives one datagram from an <see cref="IDatagramTransport"/>. The span is only valid for the
/// duration of the call: a handler that keeps the data must copy it.
/// </summary>
/// <param name="datagram">The datagram's bytes.</param>
public delegate void DatagramReceivedHandler(ReadOnlySpan<byte> datagram);
