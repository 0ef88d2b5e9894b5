using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsReplayWindowTests
{
    [Test]
    public void Accepts_new_records_and_rejects_replays_and_records_older_than_64()
    {
        var window = default(DtlsReplayWindow);
        Assert.That(window.ShouldDiscard(5), Is.False);
        window.MarkReceived(5);
        window.MarkReceived(100);
        Assert.Multiple(() =>
        {
            Assert.That(window.ShouldDiscard(5), Is.True, "older than the window");
            Assert.That(window.ShouldDiscard(36), Is.True, "exactly 64 behind");
            Assert.That(window.ShouldDiscard(37), Is.False, "63 behind, not seen");
            Assert.That(window.ShouldDiscard(100), Is.True, "replay of the highest");
            Assert.That(window.ShouldDiscard(99), Is.False);
            Assert.That(window.ShouldDiscard(101), Is.False);
            Assert.That(window.Highest, Is.EqualTo(100UL));
        });
    }

    [Test]
    public void Behaves_like_a_reference_model_for_any_arrival_order()
    {
        // RFC 6347 §4.1.2.6: discard iff already received, or more than the window size behind the highest.
        Prop.ForAll(
            Arb.From(Gen.ListOf(Gen.Choose(0, 300))),
            arrivals =>
            {
                var window = default(DtlsReplayWindow);
                var seen = new HashSet<ulong>();
                ulong? highest = null;
                foreach (var value in arrivals)
                {
                    var sequence = (ulong)value;
                    var expected = seen.Contains(sequence) || (highest is { } h && sequence + 64 <= h);
                    if (window.ShouldDiscard(sequence) != expected)
                    {
                        return false;
                    }

                    if (!expected)
                    {
                        window.MarkReceived(sequence);
                        seen.Add(sequence);
                        highest = highest is null ? sequence : Math.Max(highest.Value, sequence);
                    }
                }

                return true;
            }).QuickCheckThrowOnFailure();
    }
}
