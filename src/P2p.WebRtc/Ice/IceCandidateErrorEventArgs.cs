namespace P2p.WebRtc.Ice;

/// <summary>
/// A STUN or TURN server could not give a candidate (the browser's <c>icecandidateerror</c>): wrong credentials,
/// no answer, a refused connection. Gathering goes on with the other servers.
/// </summary>
/// <param name="Url">The server, as a URL (no credentials).</param>
/// <param name="ErrorCode">The STUN error code of the server's answer (e.g. 401), or 0 when it gave none (timeout, network, TLS).</param>
/// <param name="ErrorText">What went wrong.</param>
public sealed record IceCandidateErrorEventArgs(string Url, int ErrorCode, string ErrorText);
