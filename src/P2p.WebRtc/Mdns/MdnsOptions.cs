using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Mdns;

/// <summary>mDNS settings of an ICE agent (<see cref="Ice.IceAgentOptions.Mdns"/>), of a <see cref="MdnsResolver"/> and of a <see cref="MdnsResponder"/>.</summary>
public sealed record MdnsOptions
{
    /// <summary>Resolve remote names (the default), also publish local names, or neither.</summary>
    public MdnsMode Mode { get; init; } = MdnsMode.Resolve;

    /// <summary>How many times a one-shot query is sent before a resolution gives up: 3. Retransmissions double the interval (RFC 6762 §5.1).</summary>
    public int QueryCount { get; init; } = 3;

    /// <summary>How long a resolution waits in all, retransmissions included: 2 s.</summary>
    public TimeSpan ResolutionTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many names are resolved at the same time; more wait: 8.</summary>
    public int MaxConcurrentResolutions { get; init; } = 8;

    /// <summary>How many distinct names an ICE agent resolves in its lifetime (resolved, failed and pending); more are ignored: 32.</summary>
    public int MaxNames { get; init; } = 32;

    /// <summary>The TTL of published address records (RFC 6762 §10: 120 s for host records).</summary>
    public TimeSpan RecordTtl { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Where the UDP sockets come from; <see langword="null"/> for <see cref="SystemMdnsSocketFactory"/>.</summary>
    public IMdnsSocketFactory? SocketFactory { get; init; }

    /// <summary>Where a standalone resolver or responder logs (an ICE agent passes its own); nothing when <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock of the resolver's retransmissions and timeout (an ICE agent passes its own).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(QueryCount, 1, nameof(QueryCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(QueryCount, 10, nameof(QueryCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentResolutions, 1, nameof(MaxConcurrentResolutions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNames, 1, nameof(MaxNames));
        if (ResolutionTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ResolutionTimeout), ResolutionTimeout, "Must be positive.");
        }

        if (RecordTtl < TimeSpan.FromSeconds(1) || RecordTtl > TimeSpan.FromHours(2))
        {
            throw new ArgumentOutOfRangeException(nameof(RecordTtl), RecordTtl, "Must be between 1 s and 2 h.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
