using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.Server.Diagnostics;

/// <summary>
/// The server's instruments on the <see cref="MeterName"/> meter (System.Diagnostics.Metrics, OpenTelemetry-style
/// names and units): open connections, group memberships, groups created, relays by outcome, relay round trip
/// through the target, and JSON-RPC errors sent by code. Created through the host's <see cref="IMeterFactory"/>
/// when there is one (so each host, and each test, has its own meter). Recording never allocates: tags are
/// built once.
/// </summary>
internal sealed class SignalingMetrics : IDisposable
{
    /// <summary>The meter's name (what <c>dotnet-counters monitor --counters</c> and OpenTelemetry's <c>AddMeter</c> take).</summary>
    public const string MeterName = "P2p.Signaling.Server";

    /// <summary>The tag on <c>p2p.signaling.relays</c> and <c>p2p.signaling.relay.duration</c>.</summary>
    public const string OutcomeTag = "p2p.relay.outcome";

    /// <summary>The tag on <c>p2p.signaling.errors</c>: the JSON-RPC error code (an integer).</summary>
    public const string ErrorCodeTag = "error.code";

    private static readonly KeyValuePair<string, object?> Answered = new(OutcomeTag, "answered");
    private static readonly KeyValuePair<string, object?> Error = new(OutcomeTag, "error");
    private static readonly KeyValuePair<string, object?> Timeout = new(OutcomeTag, "timeout");
    private static readonly KeyValuePair<string, object?> Failed = new(OutcomeTag, "failed");
    private static readonly KeyValuePair<string, object?> Notification = new(OutcomeTag, "notification");

    private static readonly FrozenDictionary<int, KeyValuePair<string, object?>> ErrorCodes =
        Enum.GetValues<SignalingErrorCode>().Distinct().ToFrozenDictionary(c => (int)c, c => new KeyValuePair<string, object?>(ErrorCodeTag, (int)c));

    private readonly Meter? _ownMeter;

    /// <summary>Instruments on a process-wide meter of their own, for a hub built without dependency injection.</summary>
    public static SignalingMetrics Default { get; } = new(null);

    private readonly TimeProvider _time;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _memberships;
    private readonly Counter<long> _groupsCreated;
    private readonly Counter<long> _relays;
    private readonly Histogram<double> _relayDuration;
    private readonly Counter<long> _errors;

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="meterFactory">The host's meter factory; null creates a meter of this instance's own (disposed with it).</param>
    /// <param name="timeProvider">The clock of relay timestamps (<see cref="Routing.PendingRelay.StartedAt"/>).</param>
    public SignalingMetrics(IMeterFactory? meterFactory, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        var meter = meterFactory?.Create(MeterName) ?? (_ownMeter = new Meter(MeterName));
        _connections = meter.CreateUpDownCounter<long>("p2p.signaling.connections", "{connection}", "Open WebSocket connections.");
        _memberships = meter.CreateUpDownCounter<long>("p2p.signaling.group_memberships", "{membership}", "Group memberships held by this instance's connections.");
        _groupsCreated = meter.CreateCounter<long>("p2p.signaling.groups.created", "{group}", "Groups created.");
        _relays = meter.CreateCounter<long>("p2p.signaling.relays", "{relay}", "Relays forwarded to their target, by outcome (answered, error, timeout, failed, notification).");
        _relayDuration = meter.CreateHistogram<double>("p2p.signaling.relay.duration", "s", "From forwarding a relay to its target until the target's answer is back.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _errors = meter.CreateCounter<long>("p2p.signaling.errors", "{error}", "JSON-RPC errors sent to clients, by error code.");
    }

    /// <summary>Counts an open connection until the returned scope is disposed.</summary>
    public ConnectionScope TrackConnection()
    {
        _connections.Add(1);
        return new ConnectionScope(this);
    }

    /// <summary>A connection joined (positive) or left (negative) groups.</summary>
    public void MembershipsChanged(int delta)
    {
        if (delta != 0)
        {
            _memberships.Add(delta);
        }
    }

    /// <summary>A group was created.</summary>
    public void GroupCreated() => _groupsCreated.Add(1);

    /// <summary>A relay was forwarded to its target; one without a request id (a notification) is counted now, a tracked one when it ends.</summary>
    public void RelayForwarded(bool tracked)
    {
        if (!tracked)
        {
            _relays.Add(1, Notification);
        }
    }

    /// <summary>The target answered a tracked relay (<paramref name="isError"/>: with an error object); records its round trip since <paramref name="startedAt"/>.</summary>
    public void RelayAnswered(long startedAt, bool isError)
    {
        var outcome = isError ? Error : Answered;
        _relays.Add(1, outcome);
        if (startedAt != 0)
        {
            _relayDuration.Record(_time.GetElapsedTime(startedAt).TotalSeconds, outcome);
        }
    }

    /// <summary>A tracked relay failed with <paramref name="code"/> (sent to its sender): counted as a relay outcome and as an error sent.</summary>
    public void RelayFailed(SignalingErrorCode code)
    {
        _relays.Add(1, code == SignalingErrorCode.RelayTimeout ? Timeout : Failed);
        ErrorSent(code);
    }

    /// <summary>A JSON-RPC error response with <paramref name="code"/> was sent.</summary>
    public void ErrorSent(SignalingErrorCode code) =>
        _errors.Add(1, ErrorCodes.TryGetValue((int)code, out var tag) ? tag : new KeyValuePair<string, object?>(ErrorCodeTag, (int)code));

    /// <summary>Disposes the meter when this instance created it (a factory's meters are the factory's).</summary>
    public void Dispose() => _ownMeter?.Dispose();

    /// <summary>An open connection, counted in <c>p2p.signaling.connections</c> until disposed.</summary>
    internal readonly struct ConnectionScope(SignalingMetrics metrics) : IDisposable
    {
        /// <summary>The connection closed.</summary>
        public void Dispose() => metrics._connections.Add(-1);
    }
}
