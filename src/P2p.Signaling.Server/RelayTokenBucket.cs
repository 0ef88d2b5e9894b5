using System.Threading.RateLimiting;

namespace P2p.Signaling.Server;

/// <summary>
/// One connection's relay allowance: a token bucket holding up to <c>limit</c> tokens, one taken per relay, refilled by
/// <c>perPeriod</c> tokens on each <see cref="Refill"/> (the hub calls it every <see cref="SignalingHub.RelayRefillPeriod"/>
/// from its <see cref="TimeProvider"/>). A <see cref="RateLimiter"/> of System.Threading.RateLimiting (one permit per
/// relay, never queued); lock-free, and its leases are two shared objects, so acquiring allocates nothing.
/// </summary>
/// <remarks>
/// Not <see cref="TokenBucketRateLimiter"/>: even with <c>AutoReplenishment = false</c> its <c>TryReplenish</c> adds
/// tokens in proportion to the time elapsed on the real clock (<c>Stopwatch</c>), so it cannot follow the hub's clock
/// (tests run the hub in virtual time), and a refused lease is a new object.
/// </remarks>
internal sealed class RelayTokenBucket : RateLimiter
{
    private static readonly RateLimitLease Granted = new Lease(true);
    private static readonly RateLimitLease Refused = new Lease(false);

    private readonly int _limit;
    private readonly int _perPeriod;

    // Tokens taken and not yet given back: 0 is a full bucket. Taken by the connection's read loop, given back by the hub's timer.
    private int _taken;

    public RelayTokenBucket(int limit, int perPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perPeriod, 1);
        _limit = limit;
        _perPeriod = perPeriod;
    }

    /// <summary>How many tokens are left now.</summary>
    public int Available => Math.Max(0, _limit - Volatile.Read(ref _taken));

    /// <summary>Takes a token; <see langword="false"/> when the bucket is empty.</summary>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _taken) <= _limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _taken);
        return false;
    }

    /// <inheritdoc />
    public override TimeSpan? IdleDuration => null;

    /// <inheritdoc />
    public override RateLimiterStatistics GetStatistics() => new() { CurrentAvailablePermits = Available };

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => permitCount switch
    {
        0 => Available > 0 ? Granted : Refused,
        1 => TryTake() ? Granted : Refused,
        _ => throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, "A relay takes one permit."),
    };

    /// <inheritdoc />
    /// <remarks>Never waits: a relay without a token is refused at once (-32041), not queued.</remarks>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    /// <summary>Adds one period's tokens, up to the bucket's size.</summary>
    public void Refill()
    {
        int taken, next;
        do
        {
            taken = Volatile.Read(ref _taken);
            if (taken <= 0)
            {
                return;
            }

            next = Math.Max(0, taken - _perPeriod);
        }
        while (Interlocked.CompareExchange(ref _taken, next, taken) != taken);
    }

    /// <summary>A shared lease: nothing to give back (the bucket refills on its own).</summary>
    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
