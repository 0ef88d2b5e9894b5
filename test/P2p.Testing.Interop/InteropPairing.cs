namespace P2p.Testing.Interop;

/// <summary>
/// Runs the interop scenario between two endpoints: carries each one's signaling lines to the other,
/// waits for both reports, then ends both runs (stdin EOF) and collects their exit codes.
/// </summary>
public static class InteropPairing
{
    /// <summary>How long a side that has not reported gets once the other side reported a failure.</summary>
    private static readonly TimeSpan GraceAfterFailure = TimeSpan.FromSeconds(5);

    /// <summary>How long each side gets to exit once its stdin closed.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs the pairing.</summary>
    /// <param name="offerer">The offering side (already started).</param>
    /// <param name="answerer">The answering side (already started).</param>
    /// <param name="timeout">The limit for both reports.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>Both reports and exit codes; a side that did not report in time gets a failed report saying so.</returns>
    public static async Task<PairingResult> RunAsync(IScenarioEndpoint offerer, IScenarioEndpoint answerer, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offerer);
        ArgumentNullException.ThrowIfNull(answerer);
        using var pumping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pumps = Task.WhenAll(PumpAsync(offerer, answerer, pumping.Token), PumpAsync(answerer, offerer, pumping.Token));
        try
        {
            var first = await Task.WhenAny(offerer.Report, answerer.Report).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            var other = first == offerer.Report ? answerer.Report : offerer.Report;
            var firstOk = (await first.ConfigureAwait(false)).Ok;
            await other.WaitAsync(firstOk ? timeout : GraceAfterFailure, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // reported below as missing reports
        }

        var offererReport = Completed(offerer, timeout);
        var answererReport = Completed(answerer, timeout);
        var exits = await Task.WhenAll(FinishAsync(offerer), FinishAsync(answerer)).ConfigureAwait(false);
        await pumping.CancelAsync().ConfigureAwait(false);
        await pumps.ConfigureAwait(false);
        return new PairingResult(offerer, offererReport, exits[0], answerer, answererReport, exits[1]);
    }

    private static ScenarioReport Completed(IScenarioEndpoint endpoint, TimeSpan timeout) =>
        endpoint.Report.IsCompletedSuccessfully
            ? endpoint.Report.Result
            : new ScenarioReport { Ok = false, Stack = endpoint.Name, Error = $"no report within {timeout.TotalSeconds:0} s" };

    private static async Task<int> FinishAsync(IScenarioEndpoint endpoint)
    {
        try
        {
            return await endpoint.FinishAsync(ExitTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return -1;
        }
    }

    private static async Task PumpAsync(IScenarioEndpoint from, IScenarioEndpoint to, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in from.Signaling.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await to.DeliverAsync(line, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the pairing ended
        }
    }
}
