namespace P2p.WebRtc.Sctp.Receive;

/// <summary>
/// The TSNs received above the cumulative TSN, as a sorted list of disjoint inclusive ranges — the
/// source of the SACK's gap ack blocks (RFC 9260 §3.3.4). In-order arrival extends the last range in
/// O(1); a hole fill merges neighbours. All TSNs lie within 2^31 of each other (serial arithmetic).
/// </summary>
internal sealed class TsnRangeList
{
    private readonly List<(uint Start, uint End)> _ranges = [];

    public int Count => _ranges.Count;

    public (uint Start, uint End) this[int index] => _ranges[index];

    /// <summary>True when <paramref name="tsn"/> is in a range.</summary>
    public bool Contains(uint tsn)
    {
        for (var i = _ranges.Count - 1; i >= 0; i--)
        {
            var (s, e) = _ranges[i];
            if (SerialNumber.Gt(s, tsn))
            {
                continue;
            }

            return SerialNumber.Le(tsn, e);
        }

        return false;
    }

    /// <summary>Adds a TSN; false if it was already present.</summary>
    public bool Add(uint tsn)
    {
        // Find the last range starting at or before tsn (scanning from the end: arrivals are mostly in order).
        var i = _ranges.Count - 1;
        while (i >= 0 && SerialNumber.Gt(_ranges[i].Start, tsn))
        {
            i--;
        }

        if (i >= 0 && SerialNumber.Le(tsn, _ranges[i].End))
        {
            return false;
        }

        var extendsLeft = i >= 0 && _ranges[i].End + 1 == tsn;
        var extendsRight = i + 1 < _ranges.Count && _ranges[i + 1].Start == tsn + 1;
        if (extendsLeft && extendsRight)
        {
            _ranges[i] = (_ranges[i].Start, _ranges[i + 1].End);
            _ranges.RemoveAt(i + 1);
        }
        else if (extendsLeft)
        {
            _ranges[i] = (_ranges[i].Start, tsn);
        }
        else if (extendsRight)
        {
            _ranges[i + 1] = (tsn, _ranges[i + 1].End);
        }
        else
        {
            _ranges.Insert(i + 1, (tsn, tsn));
        }

        return true;
    }

    /// <summary>If the first range starts right after <paramref name="cumulative"/>, removes it and returns its end.</summary>
    public bool TryTakeContiguous(uint cumulative, out uint end)
    {
        if (_ranges.Count > 0 && _ranges[0].Start == cumulative + 1)
        {
            end = _ranges[0].End;
            _ranges.RemoveAt(0);
            return true;
        }

        end = 0;
        return false;
    }

    /// <summary>Removes all TSNs at or below <paramref name="tsn"/>.</summary>
    public void RemoveUpTo(uint tsn)
    {
        while (_ranges.Count > 0 && SerialNumber.Le(_ranges[0].Start, tsn))
        {
            var (s, e) = _ranges[0];
            if (SerialNumber.Le(e, tsn))
            {
                _ranges.RemoveAt(0);
            }
            else
            {
                _ranges[0] = (tsn + 1, e);
                _ = s;
                break;
            }
        }
    }

    public void Clear() => _ranges.Clear();
}
