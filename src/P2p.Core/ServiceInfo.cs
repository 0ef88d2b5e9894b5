namespace P2p.Core;

/// <summary>Who this service is on the signaling server (the seed's <c>IServiceInfo</c>).</summary>
/// <param name="Id">
/// The user id the signaling server assigned (<c>init</c>): 128 random bits as 32 lowercase hexadecimal
/// characters, new for every signaling connection.
/// </param>
public sealed record ServiceInfo(string Id);
