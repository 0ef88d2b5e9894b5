using System.Threading.Channels;

namespace P2p.Testing.Interop;

/// <summary>
/// One side of an interop pairing: P2p in-process (<see cref="ScenarioPeer"/>) or a foreign peer program
/// (<see cref="ForeignPeerProcess"/>). Both speak the JSON lines of test/interop-peers/PROTOCOL.md.
/// </summary>
public interface IScenarioEndpoint : IAsyncDisposable
{
    /// <summary>A name for logs, e.g. <c>pion (offer)</c>.</summary>
    string Name { get; }

    /// <summary>The signaling lines this side wants delivered to the other (descriptions, candidates); completed when it stops printing.</summary>
    ChannelReader<string> Signaling { get; }

    /// <summary>Completes with this side's report line.</summary>
    Task<ScenarioReport> Report { get; }

    /// <summary>Everything this side logged so far (a foreign peer's stderr), for failure messages.</summary>
    string Diagnostics { get; }

    /// <summary>Hands this side one line that the other side printed.</summary>
    Task DeliverAsync(string line, CancellationToken cancellationToken);

    /// <summary>Ends the run after the reports (stdin EOF; the peer closes its connection) and returns the exit code.</summary>
    Task<int> FinishAsync(TimeSpan timeout);
}
