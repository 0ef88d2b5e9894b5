namespace P2p.Core.Mesh;

/// <summary>
/// The DTLS fingerprints of a connection as this side saw them in the session descriptions: its own local description's
/// and the remote description's (<c>"sha-256 AB:CD:…"</c>, <see langword="null"/> when absent).
/// </summary>
/// <param name="Local">This side's certificate fingerprint.</param>
/// <param name="Remote">The remote's certificate fingerprint.</param>
internal readonly record struct LinkFingerprints(string? Local, string? Remote);
