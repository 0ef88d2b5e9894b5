using System.Text;

namespace P2p.Signaling.Server.Tests;

/// <summary>The groups a <c>resume</c> claims: anything but the documented shape is refused, never thrown.</summary>
public class ResumeGroupsParsingTests
{
    [TestCase("""[{"id":"g1"},{"id":"g2","owner":"m1","capability":3}]""", 2)]
    [TestCase("""[]""", 0)]
    public void The_documented_shape_is_read(string json, int count)
    {
        Assert.That(SignalingConnection.TryParseResumeGroups(Encoding.UTF8.GetBytes(json), out var groups), Is.True);
        Assert.That(groups, Has.Count.EqualTo(count));
    }

    // Well-formed JSON that JsonElement refuses with an InvalidOperationException, not a JsonException: a root that is no
    // array, and escaped lone surrogates in a value or in a member name (the kind of input fuzzing found elsewhere).
    [TestCase("""{"id":"g1"}""")]
    [TestCase("""[{"id":"g\ud800"}]""")]
    [TestCase("""[{"id":"g1","owner":"\udc00"}]""")]
    [TestCase("""[{"id":"g1","i\ud800d":1}]""")]
    [TestCase("""[{"id":1}]""")]
    [TestCase("""[{"id":"g1","capability":99}]""")]
    [TestCase("""not json""")]
    public void Anything_else_is_refused(string json) =>
        Assert.That(SignalingConnection.TryParseResumeGroups(Encoding.UTF8.GetBytes(json), out _), Is.False);
}
