namespace P2p.WebRtc.Dtls;

/// <summary>
/// Anti-replay sliding window of RFC 6347 §4.1.2.6 (64 records, the size the RFC recommends):
/// a record is discarded when its sequence number is older than the window or was already
/// received. The window only advances for records that authenticated.
/// </summary>
internal struct DtlsReplayWindow
{
    private const int Size = 64;

    private ulong _highest;
    private ulong _bitmap; // bit i set = _highest - i received
    private bool _any;

    /// <summary>The highest authenticated sequence number, when any record was received.</summary>
    public readonly ulong? Highest => _any ? _highest : null;

    /// <summary>True when the record is a replay or too old to check.</summary>
    public readonly bool ShouldDiscard(ulong sequence)
    {
        if (!_any || sequence > _highest)
        {
            return false;
        }

        var age = _highest - sequence;
        return age >= Size || (_bitmap & (1UL << (int)age)) != 0;
    }

    /// <summary>Marks an authenticated record as received.</summary>
    public void MarkReceived(ulong sequence)
    {
        if (!_any)
        {
            _any = true;
            _highest = sequence;
            _bitmap = 1;
            return;
        }

        if (sequence > _highest)
        {
            var shift = sequence - _highest;
            _bitmap = shift >= Size ? 1UL : (_bitmap << (int)shift) | 1UL;
            _highest = sequence;
        }
        else
        {
            var age = _highest - sequence;
            if (age < Size)
            {
                _bitmap |= 1UL << (int)age;
            }
        }
    }
}
