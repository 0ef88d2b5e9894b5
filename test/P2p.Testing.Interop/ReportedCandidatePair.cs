namespace P2p.Testing.Interop;

/// <summary>A candidate pair as a foreign stack's statistics describe it (the report's <c>selectedPair</c>).</summary>
/// <param name="Local">This side's candidate.</param>
/// <param name="Remote">The peer's candidate.</param>
public sealed record ReportedCandidatePair(ReportedCandidate Local, ReportedCandidate Remote)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Local} <-> {Remote}";
}

/// <summary>One end of a <see cref="ReportedCandidatePair"/>, in the W3C statistics' terms.</summary>
/// <param name="Type"><c>host</c>, <c>srflx</c>, <c>prflx</c> or <c>relay</c> (<c>candidateType</c>).</param>
/// <param name="Address">Its address (<c>address</c>), when the stack tells it.</param>
/// <param name="Port">Its port.</param>
/// <param name="RelayProtocol">For a local relayed candidate, how the stack reaches its TURN server: <c>udp</c>, <c>tcp</c> or <c>tls</c>.</param>
public sealed record ReportedCandidate(string? Type, string? Address, int? Port, string? RelayProtocol)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Type} {Address}:{Port}{(RelayProtocol is null ? string.Empty : " via " + RelayProtocol)}";
}
