namespace P2p.WebRtc.Dtls;

/// <summary>Thrown from the blocking receive to unwind BouncyCastle's handshake (timeout, cancellation, close).</summary>
internal sealed class HandshakeAbortedException : IOException
{
    public HandshakeAbortedException()
        : base("The DTLS handshake was aborted.")
    {
    }

    public HandshakeAbortedException(string message)
        : base(message)
    {
    }

    public HandshakeAbortedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
