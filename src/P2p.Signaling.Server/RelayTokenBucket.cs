namespace P2p.Signaling.Server;

/// <summary>
/// One connection's relay allowance: a token bucket holding up to <c>limit</c> tokens, one taken per relay, refilled by
/// <c>perPeriod</c> tokens on each <see cref="Refill"/> (the hub calls it every <see cref="SignalingHub.RelayRefillPeriod"/>
/// from its <see cref="TimeProvider"/>). Lock-free and allocation-free.
/// </summary>
/// <remarks>
/// Not <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c>: even with <c>AutoReplenishment = false</c> its
/// <c>TryReplenish</c> adds tokens in proportion to the time elapsed on the real clock (<c>Stopwatch</c>), so it cannot
/// follow the hub's clock (tests run the hub in virtual time), and a refused lease is a new object.
/// </remarks>
internal sealed class RelayTokenBucket
{
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
}
