namespace P2p.WebRtc.Turn;

/// <summary>A TURN server and the long-term credentials (RFC 8489 §9.2) to allocate on it.</summary>
/// <param name="Host">An IP literal or a DNS name (resolved when the allocation starts).</param>
/// <param name="Port">The server's port (3478; 5349 for TLS).</param>
/// <param name="Transport">How the client reaches the server.</param>
/// <param name="Username">The user name (with TURN REST credentials: <c>EXPIRY:USER</c>).</param>
/// <param name="Password">The password (the credential).</param>
public sealed record TurnServer(string Host, int Port, TurnTransport Transport, string Username, string Password)
{
    /// <summary>The server as a URL (the password is never shown).</summary>
    /// <returns>E.g. <c>turn:198.51.100.1:3478?transport=tcp</c>.</returns>
    public override string ToString() => new IceServerUrl(
        Transport == TurnTransport.Tls ? IceServerScheme.Turns : IceServerScheme.Turn, Host, Port, Transport).ToString();
}
