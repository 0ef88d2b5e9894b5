using System.Globalization;
using Microsoft.Extensions.Logging;
using P2p.Benchmarks.Common;
using P2p.WebRtc.Testing.Network;

namespace P2p.Benchmarks.Soak;

/// <summary>The soak's settings, from the command line.</summary>
internal sealed record SoakOptions
{
    /// <summary>How long traffic and faults run (<c>--minutes</c>, default 3).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How many members the group has when nobody is away (<c>--members</c>, default 8).</summary>
    public int Members { get; init; } = 8;

    /// <summary>How many of them sit behind a lossy link (<c>--lossy</c>, default 2): the last slots.</summary>
    public int Lossy { get; init; } = 2;

    /// <summary>The time between two churn events (<c>--fault-every</c> seconds, default 10).</summary>
    public TimeSpan FaultEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether every sixth event restarts the signaling server (default true; <c>--no-server-restarts</c> makes those path
    /// cuts, so the server lives the whole run and its own growth shows in the samples).
    /// </summary>
    public bool ServerRestarts { get; init; } = true;

    /// <summary>The seed of the event choices and of the virtual network (<c>--seed</c>, default 1).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The time between resource samples (<c>--sample-every</c> seconds; default: a 30th of the run, 10–60 s).</summary>
    public TimeSpan SampleEvery { get; init; }

    /// <summary>Samples before this are left out of the growth fit (<c>--warmup</c> minutes; default a sixth of the run, at most 5).</summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>Where the members log, when <c>--log LEVEL</c> (e.g. Information, Warning) is given: stderr, with scopes and times. Default: nowhere.</summary>
    public LogLevel? LogLevel { get; init; }

    public static SoakOptions Parse(string[] args)
    {
        var a = new Args(args);
        var duration = TimeSpan.FromMinutes(double.Parse(a.String("--minutes") ?? "3", CultureInfo.InvariantCulture));
        var members = a.Int("--members", 8);
        var sampleEvery = a.String("--sample-every") is { } s
            ? TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(Math.Clamp(duration.TotalSeconds / 30, 10, 60));
        var warmup = a.String("--warmup") is { } w
            ? TimeSpan.FromMinutes(double.Parse(w, CultureInfo.InvariantCulture))
            : TimeSpan.FromMinutes(Math.Min(5, duration.TotalMinutes / 6));
        return new SoakOptions
        {
            Duration = duration,
            Members = members,
            Lossy = Math.Clamp(a.Int("--lossy", 2), 0, members - 1),
            FaultEvery = TimeSpan.FromSeconds(a.Int("--fault-every", 10)),
            Seed = a.Int("--seed", 1),
            ServerRestarts = !a.Flag("--no-server-restarts"),
            SampleEvery = sampleEvery,
            Warmup = warmup,
            LogLevel = a.String("--log") is { } level ? Enum.Parse<LogLevel>(level, ignoreCase: true) : null,
        };
    }

    /// <summary>The members' logger factory (<see cref="LogLevel"/>).</summary>
    public ILoggerFactory CreateLoggerFactory() => LogLevel is { } level
        ? LoggerFactory.Create(b => b
            .AddConsole(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace)
            .AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; })
            .AddFilter(l => l >= level))
        : Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>The link of a slot: the last <see cref="Lossy"/> slots lose 2 % and 5 % of datagrams (alternately), with 20 and 50 ms of delay.</summary>
    public LinkConditions ConditionsOf(int slot)
    {
        var lossyIndex = slot - (Members - Lossy);
        return lossyIndex < 0 ? LinkConditions.Perfect
            : lossyIndex % 2 == 0 ? new LinkConditions { Loss = 0.02, Delay = TimeSpan.FromMilliseconds(20) }
            : new LinkConditions { Loss = 0.05, Delay = TimeSpan.FromMilliseconds(50) };
    }

    /// <summary>How the lossy links are set up, for the report's title.</summary>
    public string LossyDescription => Lossy switch
    {
        0 => "no lossy link",
        1 => "one behind 2 % loss and 20 ms",
        _ => $"{Lossy} behind lossy links (2 % loss and 20 ms, 5 % and 50 ms)",
    };
}
