namespace P2p.WebRtc.Net;

/// <summary>Says why an <see cref="IDatagramTransport"/> closed.</summary>
/// <param name="error">The failure that closed it, or <see langword="null"/> for an orderly close.</param>
public sealed class DatagramTransportClosedEventArgs(Exception? error) : EventArgs
{
    /// <summary>The failure that closed the transport, or <see langword="null"/> for an orderly close.</summary>
    public Exception? Error { get; } = error;
}
