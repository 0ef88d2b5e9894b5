namespace WebRtcEcho;

/// <summary>
/// The bulk byte stream offer mode sends: byte i is <c>R[i mod P]</c> for a fixed pseudo-random block R
/// of prime length P (1 048 573). Since P is prime and larger than any message, two messages swapped,
/// repeated or dropped no longer match the stream, so the check proves order as well as content.
/// </summary>
internal sealed class TestPattern
{
    private const int Period = 1_048_573;
    private readonly byte[] _block = new byte[Period];

    public TestPattern()
    {
        // xorshift64 (Marsaglia 2003) with a fixed seed: the same stream in every run and on both sides.
        var state = 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < Period; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            _block[i] = (byte)(state >> 56);
        }
    }

    /// <summary>Writes the stream's bytes from <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    public void Fill(long offset, Span<byte> destination)
    {
        var at = (int)(offset % Period);
        while (!destination.IsEmpty)
        {
            var n = Math.Min(destination.Length, Period - at);
            _block.AsSpan(at, n).CopyTo(destination);
            destination = destination[n..];
            at = 0;
        }
    }

    /// <summary>The index in <paramref name="data"/> of the first byte that differs from the stream at <paramref name="offset"/>, or -1.</summary>
    public int FirstMismatch(long offset, ReadOnlySpan<byte> data)
    {
        var at = (int)(offset % Period);
        var done = 0;
        while (done < data.Length)
        {
            var n = Math.Min(data.Length - done, Period - at);
            var expected = _block.AsSpan(at, n);
            var actual = data.Slice(done, n);
            if (!actual.SequenceEqual(expected))
            {
                return done + actual.CommonPrefixLength(expected);
            }

            done += n;
            at = 0;
        }

        return -1;
    }
}
