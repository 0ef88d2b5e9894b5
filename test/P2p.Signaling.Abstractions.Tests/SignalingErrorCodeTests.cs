using System.Reflection;
using System.Xml.Linq;

namespace P2p.Signaling.Abstractions.Tests;

public class SignalingErrorCodeTests
{
    [Test]
    public void Standard_codes_are_json_rpcs()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)SignalingErrorCode.ParseError, Is.EqualTo(-32700));
            Assert.That((int)SignalingErrorCode.InvalidRequest, Is.EqualTo(-32600));
            Assert.That((int)SignalingErrorCode.MethodNotFound, Is.EqualTo(-32601));
            Assert.That((int)SignalingErrorCode.InvalidParams, Is.EqualTo(-32602));
            Assert.That((int)SignalingErrorCode.InternalError, Is.EqualTo(-32603));
        });
    }

    [Test]
    public void Own_codes_are_distinct_and_inside_the_implementation_defined_range()
    {
        var own = Enum.GetValues<SignalingErrorCode>().Select(c => (int)c).Where(c => c > -32600).ToArray();
        Assert.That(own, Is.Unique);
        Assert.That(own, Has.All.InRange(-32099, -32000), "JSON-RPC 2.0 reserves -32000..-32099 for implementation-defined errors");
    }

    [TestCase(SignalingErrorCode.NotInitialized, -32001)]
    [TestCase(SignalingErrorCode.GroupNotFound, -32002)]
    [TestCase(SignalingErrorCode.NotMember, -32003)]
    [TestCase(SignalingErrorCode.TargetUnavailable, -32004)]
    [TestCase(SignalingErrorCode.RelayTimeout, -32005)]
    [TestCase(SignalingErrorCode.MessageTooLarge, -32006)]
    [TestCase(SignalingErrorCode.TooManyPendingRelays, -32007)]
    [TestCase(SignalingErrorCode.TooManyGroups, -32008)]
    [TestCase(SignalingErrorCode.ResumeRefused, -32009)]
    [TestCase(SignalingErrorCode.NoRelayHandler, -32010)]
    [TestCase(SignalingErrorCode.RelayHandlerFailed, -32011)]
    [TestCase(SignalingErrorCode.ConnectionClosed, -32020)]
    [TestCase(SignalingErrorCode.RequestTimeout, -32021)]
    [TestCase(SignalingErrorCode.InvalidResponse, -32022)]
    [TestCase(SignalingErrorCode.Reconnecting, -32023)]
    public void Documented_values_are_stable(SignalingErrorCode code, int value) => Assert.That((int)code, Is.EqualTo(value));

    [Test]
    public void Every_code_has_its_documentation()
    {
        var xmlPath = Path.ChangeExtension(typeof(SignalingErrorCode).Assembly.Location, ".xml");
        Assert.That(File.Exists(xmlPath), Is.True, xmlPath);
        var documented = XDocument.Load(xmlPath).Descendants("member")
            .Select(m => (string?)m.Attribute("name"))
            .Where(n => n is not null && n.StartsWith("F:P2p.Signaling.Abstractions.SignalingErrorCode.", StringComparison.Ordinal))
            .ToHashSet();
        foreach (var name in Enum.GetNames<SignalingErrorCode>())
        {
            Assert.That(documented, Does.Contain("F:P2p.Signaling.Abstractions.SignalingErrorCode." + name));
        }
    }
}
