namespace P2p.Benchmarks.Soak;

/// <summary>
/// A set of sequence numbers kept as sorted, disjoint ranges, so that hours of mostly consecutive numbers take a few
/// ranges instead of one entry each (the soak's own bookkeeping must not show up as memory growth). Thread-safe.
/// </summary>
internal sealed class SequenceSet
{
    private readonly List<(long First, long Last)> _ranges = [];
    private readonly Lock _sync = new();
    private long _count;

    /// <summary>How many numbers the set holds.</summary>
    public long Count
    {
        get
        {
            lock (_sync)
            {
                return _count;
            }
        }
    }

    /// <summary>The largest number held, or 0 when empty.</summary>
    public long Max
    {
        get
        {
            lock (_sync)
            {
                return _ranges.Count == 0 ? 0 : _ranges[^1].Last;
            }
        }
    }

    /// <summary>How many disjoint ranges the set is made of (1 for 1..n).</summary>
    public int RangeCount
    {
        get
        {
            lock (_sync)
            {
                return _ranges.Count;
            }
        }
    }

    /// <summary>Adds <paramref name="value"/>; <see langword="false"/> when it was already there.</summary>
    public bool Add(long value)
    {
        lock (_sync)
        {
            // Appending after the last range is the common case.
            var i = _ranges.Count;
            if (i == 0 || value > _ranges[^1].Last)
            {
                if (i > 0 && _ranges[^1].Last == value - 1)
                {
                    _ranges[^1] = (_ranges[^1].First, value);
                }
                else
                {
                    _ranges.Add((value, value));
                }

                _count++;
                return true;
            }

            // The first range whose last number is >= value.
            int lo = 0, hi = _ranges.Count - 1;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_ranges[mid].Last < value)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (_ranges[lo].First <= value)
            {
                return false;
            }

            var joinsPrevious = lo > 0 && _ranges[lo - 1].Last == value - 1;
            var joinsNext = _ranges[lo].First == value + 1;
            if (joinsPrevious && joinsNext)
            {
                _ranges[lo - 1] = (_ranges[lo - 1].First, _ranges[lo].Last);
                _ranges.RemoveAt(lo);
            }
            else if (joinsPrevious)
            {
                _ranges[lo - 1] = (_ranges[lo - 1].First, value);
            }
            else if (joinsNext)
            {
                _ranges[lo] = (value, _ranges[lo].Last);
            }
            else
            {
                _ranges.Insert(lo, (value, value));
            }

            _count++;
            return true;
        }
    }

    /// <summary>How many numbers of this set are &lt;= <paramref name="upTo"/>.</summary>
    public long CountUpTo(long upTo)
    {
        lock (_sync)
        {
            long n = 0;
            foreach (var (first, last) in _ranges)
            {
                if (first > upTo)
                {
                    break;
                }

                n += Math.Min(last, upTo) - first + 1;
            }

            return n;
        }
    }

    /// <summary>How many numbers &lt;= <paramref name="upTo"/> are in both this set and <paramref name="other"/>.</summary>
    public long OverlapUpTo(SequenceSet other, long upTo)
    {
        var mine = Snapshot();
        var theirs = other.Snapshot();
        long n = 0;
        int i = 0, j = 0;
        while (i < mine.Length && j < theirs.Length)
        {
            var first = Math.Max(mine[i].First, theirs[j].First);
            var last = Math.Min(Math.Min(mine[i].Last, theirs[j].Last), upTo);
            if (first <= last)
            {
                n += last - first + 1;
            }

            if (mine[i].Last < theirs[j].Last)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return n;
    }

    private (long First, long Last)[] Snapshot()
    {
        lock (_sync)
        {
            return [.. _ranges];
        }
    }
}
