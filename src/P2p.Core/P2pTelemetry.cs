namespace P2p.Core;

/// <summary>
/// The names under which P2p.Core reports its metrics (System.Diagnostics.Metrics) and traces (System.Diagnostics
/// activities), for subscribing to them: <c>dotnet-counters monitor --counters P2p.Core</c>, or OpenTelemetry's
/// <c>AddMeter(P2pTelemetry.MeterName)</c> and <c>AddSource(P2pTelemetry.ActivitySourceName)</c>. Nothing is recorded
/// or started until something listens. The instruments and activities are listed in docs/telemetry.md.
/// </summary>
public static class P2pTelemetry
{
    /// <summary>The name of P2p.Core's meter: <c>"P2p.Core"</c>.</summary>
    public const string MeterName = "P2p.Core";

    /// <summary>The name of P2p.Core's activity source: <c>"P2p.Core"</c>.</summary>
    public const string ActivitySourceName = "P2p.Core";
}
