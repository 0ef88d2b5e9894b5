using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using P2p.Core.Framing;
using P2p.Core.Mesh;
using P2p.Core.Transport;

namespace P2p.Core.Diagnostics;

/// <summary>
/// P2p.Core's instruments on the <see cref="P2pTelemetry.MeterName"/> meter and its activities on the
/// <see cref="P2pTelemetry.ActivitySourceName"/> source (System.Diagnostics, OpenTelemetry-style names and units; the list
/// is in docs/telemetry.md): members by state, link set-up time, messages and bytes sent and received, request round
/// trips, and the relay's work. One process-wide meter, like the runtime's own libraries without dependency injection.
/// Recording never allocates: tags are built once, and instruments nobody listens to cost a field read. No member or
/// group id is ever a metric tag (unbounded); activities carry them.
/// </summary>
internal static class CoreMetrics
{
    /// <summary>The tag on <c>p2p.group.members</c>: the member's <see cref="PeerState"/>, lower case.</summary>
    public const string StateTag = "p2p.member.state";

    /// <summary>The tag on <c>p2p.link.setup.duration</c> and the link activity: how the attempt ended.</summary>
    public const string LinkOutcomeTag = "p2p.link.outcome";

    /// <summary>The tag on <c>p2p.link.setup.duration</c> and the link activity: <c>offerer</c> or <c>answerer</c>.</summary>
    public const string LinkRoleTag = "p2p.link.role";

    /// <summary>The tag on the message counters: <c>broadcast</c>, <c>request</c>, <c>reply</c> or <c>error</c>.</summary>
    public const string KindTag = "p2p.message.kind";

    /// <summary>The tag on the message counters and on <c>p2p.request.duration</c>: <c>direct</c> or <c>relayed</c>.</summary>
    public const string PathTag = "p2p.message.path";

    /// <summary>The tag on <c>p2p.request.duration</c> and the unicast activity: <c>ok</c>, <c>error</c>, <c>timeout</c> or <c>cancelled</c>.</summary>
    public const string RequestOutcomeTag = "p2p.request.outcome";

    /// <summary>Activity tags (traces only: unbounded values are fine there).</summary>
    public const string GroupIdTag = "p2p.group.id";

    /// <summary>The local member's id, on the group activities.</summary>
    public const string LocalMemberTag = "p2p.member.local_id";

    /// <summary>The other member's id, on the link and unicast activities.</summary>
    public const string RemoteMemberTag = "p2p.member.id";

    /// <summary>The attempt's number for this member, on the link activity.</summary>
    public const string AttemptTag = "p2p.link.attempt";

    /// <summary>The error code of a failed call (<see cref="GroupErrorCode"/> name), on activities.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>P2p.Core's meter (the instruments of <see cref="LinkStatisticsMetrics"/> are on it too).</summary>
    internal static readonly Meter Meter = new(P2pTelemetry.MeterName);

    /// <summary>P2p.Core's activity source.</summary>
    public static readonly ActivitySource Source = new(P2pTelemetry.ActivitySourceName);

    private static readonly ConditionalWeakTable<MeshGroup, object?> Groups = [];

    private static readonly KeyValuePair<string, object?>[] StateTags =
        [.. Enum.GetValues<PeerState>().Select(s => new KeyValuePair<string, object?>(StateTag, s.ToString().ToLowerInvariant()))];

    private static readonly KeyValuePair<string, object?> Broadcast = new(KindTag, "broadcast");
    private static readonly KeyValuePair<string, object?> Request = new(KindTag, "request");
    private static readonly KeyValuePair<string, object?> Reply = new(KindTag, "reply");
    private static readonly KeyValuePair<string, object?> Error = new(KindTag, "error");
    private static readonly KeyValuePair<string, object?> Direct = new(PathTag, "direct");
    private static readonly KeyValuePair<string, object?> Relayed = new(PathTag, "relayed");
    private static readonly KeyValuePair<string, object?> Offerer = new(LinkRoleTag, "offerer");
    private static readonly KeyValuePair<string, object?> Answerer = new(LinkRoleTag, "answerer");

    private static readonly KeyValuePair<string, object?>[] LinkOutcomes =
        [.. Enum.GetValues<LinkOutcome>().Select(o => new KeyValuePair<string, object?>(LinkOutcomeTag, o.ToString().ToLowerInvariant()))];

    private static readonly KeyValuePair<string, object?>[] RequestOutcomes =
        [.. Enum.GetValues<RequestOutcome>().Select(o => new KeyValuePair<string, object?>(RequestOutcomeTag, o.ToString().ToLowerInvariant()))];

    private static readonly double[] SetupBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];
    private static readonly double[] RequestBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly Histogram<double> LinkSetup = Meter.CreateHistogram<double>(
        "p2p.link.setup.duration", "s", "From the start of a connection attempt to a member until it is connected or given up, by outcome and role.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SetupBuckets });

    private static readonly Counter<long> MessagesSent = Meter.CreateCounter<long>(
        "p2p.messages.sent", "{message}", "Messages sent to one member (a broadcast counts once per member it went to), by kind and path.");

    private static readonly Counter<long> BytesSent = Meter.CreateCounter<long>(
        "p2p.messages.sent.bytes", "By", "Payload bytes of the messages sent, by kind and path (frame headers and route framing not included).");

    private static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>(
        "p2p.messages.received", "{message}", "Whole messages received from other members, by kind and path.");

    private static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>(
        "p2p.messages.received.bytes", "By", "Payload bytes of the messages received, by kind and path.");

    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
        "p2p.request.duration", "s", "Unicast round trips, from the call until its reply, error or timeout, by outcome and path.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RequestBuckets });

    private static readonly Counter<long> ForwardedFrames = Meter.CreateCounter<long>(
        "p2p.relay.forwarded.frames", "{frame}", "Route frames this member forwarded between two other members.");

    private static readonly Counter<long> ForwardedBytes = Meter.CreateCounter<long>(
        "p2p.relay.forwarded.bytes", "By", "Bytes of the route frames this member forwarded between two other members.");

    private static readonly Counter<long> RoutesFound = Meter.CreateCounter<long>(
        "p2p.relay.routes.found", "{route}", "Routes through a relaying member found to members without a direct connection.");

    private static readonly Counter<long> RoutesLost = Meter.CreateCounter<long>(
        "p2p.relay.routes.lost", "{route}", "Routes through a relaying member that broke (the relay's link was lost, it left, or it could not forward).");

    private static readonly Counter<long> RelayedResent = Meter.CreateCounter<long>(
        "p2p.relay.resent", "{message}", "Relayed messages sent again through another route because the route broke before they were acknowledged.");

    static CoreMetrics()
    {
        Meter.CreateObservableUpDownCounter("p2p.group.members", ObserveMembers, "{member}",
            "Other members of the groups this process is in, by state (connecting, connected, interrupted, failed, relayed).");
    }

    /// <summary>How a connection attempt ended.</summary>
    public enum LinkOutcome
    {
        /// <summary>Connected (and, when required, the member's identity accepted).</summary>
        Connected,

        /// <summary>Failed before it connected.</summary>
        Failed,

        /// <summary>Not connected within the connect timeout.</summary>
        Timeout,

        /// <summary>Ended before it connected by something else: a newer offer replaced it, the member left, or this member did.</summary>
        Cancelled,
    }

    /// <summary>How a unicast ended.</summary>
    public enum RequestOutcome
    {
        /// <summary>A reply came.</summary>
        Ok,

        /// <summary>An error: the member answered with one, or could not be reached.</summary>
        Error,

        /// <summary>No reply within the group's request timeout.</summary>
        Timeout,

        /// <summary>The caller cancelled it.</summary>
        Cancelled,
    }

    /// <summary>Counts this group's members in <c>p2p.group.members</c> until <see cref="Untrack"/>.</summary>
    public static void Track(MeshGroup group)
    {
        Groups.AddOrUpdate(group, null);
        LinkStatisticsMetrics.EnsureStarted();
    }

    /// <summary>The groups of the process that have not closed.</summary>
    public static IEnumerable<MeshGroup> TrackedGroups
    {
        get
        {
            foreach (var (group, _) in Groups)
            {
                yield return group;
            }
        }
    }

    /// <summary>The group closed.</summary>
    public static void Untrack(MeshGroup group) => Groups.Remove(group);

    /// <summary>A connection attempt started at <paramref name="startedAt"/> (a <see cref="TimeProvider"/> timestamp) ended.</summary>
    public static void LinkEnded(TimeProvider time, long startedAt, PeerConnectionRole role, LinkOutcome outcome)
    {
        if (LinkSetup.Enabled)
        {
            LinkSetup.Record(time.GetElapsedTime(startedAt).TotalSeconds, LinkOutcomes[(int)outcome], role == PeerConnectionRole.Offerer ? Offerer : Answerer);
        }
    }

    /// <summary>A whole message of <paramref name="bytes"/> went to one member.</summary>
    public static void MessageSent(FrameKind kind, bool relayed, int bytes)
    {
        var path = relayed ? Relayed : Direct;
        var tag = KindOf(kind);
        MessagesSent.Add(1, tag, path);
        BytesSent.Add(bytes, tag, path);
    }

    /// <summary>A whole message of <paramref name="bytes"/> came from a member.</summary>
    public static void MessageReceived(FrameKind kind, bool relayed, int bytes)
    {
        var path = relayed ? Relayed : Direct;
        var tag = KindOf(kind);
        MessagesReceived.Add(1, tag, path);
        BytesReceived.Add(bytes, tag, path);
    }

    /// <summary>True when someone listens to <c>p2p.request.duration</c> (the caller may skip taking a timestamp).</summary>
    public static bool RequestDurationEnabled => RequestDuration.Enabled;

    /// <summary>A unicast started at <paramref name="startedAt"/> ended.</summary>
    public static void RequestEnded(TimeProvider time, long startedAt, RequestOutcome outcome, bool relayed)
    {
        if (startedAt != 0)
        {
            RequestDuration.Record(time.GetElapsedTime(startedAt).TotalSeconds, RequestOutcomes[(int)outcome], relayed ? Relayed : Direct);
        }
    }

    /// <summary>This member forwarded a route frame of <paramref name="bytes"/> for two others.</summary>
    public static void FrameForwarded(int bytes)
    {
        ForwardedFrames.Add(1);
        ForwardedBytes.Add(bytes);
    }

    /// <summary>A route to a member through a relay was found.</summary>
    public static void RouteFound() => RoutesFound.Add(1);

    /// <summary>A route to a member through a relay broke.</summary>
    public static void RouteLost() => RoutesLost.Add(1);

    /// <summary>A relayed message goes again through a new route.</summary>
    public static void Resent() => RelayedResent.Add(1);

    /// <summary>The outcome tag value of a request outcome (for activities).</summary>
    public static object? TagValue(RequestOutcome outcome) => RequestOutcomes[(int)outcome].Value;

    /// <summary>The outcome tag value of a link outcome (for activities).</summary>
    public static object? TagValue(LinkOutcome outcome) => LinkOutcomes[(int)outcome].Value;

    /// <summary>The role tag value (for activities).</summary>
    public static object? TagValue(PeerConnectionRole role) => (role == PeerConnectionRole.Offerer ? Offerer : Answerer).Value;

    /// <summary>The path tag value (for activities).</summary>
    public static object? PathValue(bool relayed) => (relayed ? Relayed : Direct).Value;

    /// <summary>Marks an activity failed with <paramref name="error"/> (status, <c>error.type</c>, an exception event).</summary>
    public static void Fail(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag(ErrorTypeTag, error is GroupException group ? group.Code.ToString() : error.GetType().FullName);
        activity.AddException(error);
    }

    /// <summary>
    /// Starts an activity that must not become the ambient <see cref="Activity.Current"/> of the caller's flow (a link
    /// attempt outlives the call that starts it); its parent is the current activity, if any.
    /// </summary>
    public static Activity? StartDetached(string name, ActivityKind kind)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        var activity = Source.StartActivity(name, kind);
        Activity.Current = previous;
        return activity;
    }

    private static KeyValuePair<string, object?> KindOf(FrameKind kind) => kind switch
    {
        FrameKind.Broadcast => Broadcast,
        FrameKind.Request => Request,
        FrameKind.Reply => Reply,
        _ => Error,
    };

    private static IEnumerable<Measurement<long>> ObserveMembers()
    {
        Span<long> counts = stackalloc long[StateTags.Length];
        foreach (var (group, _) in Groups)
        {
            group.CountMembers(counts);
        }

        var measurements = new Measurement<long>[StateTags.Length - 1];
        var n = 0;
        for (var i = 0; i < StateTags.Length; i++)
        {
            if (i != (int)PeerState.Left)
            {
                measurements[n++] = new Measurement<long>(counts[i], StateTags[i]);
            }
        }

        return measurements;
    }
}
