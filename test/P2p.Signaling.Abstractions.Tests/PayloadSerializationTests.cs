using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace P2p.Signaling.Abstractions.Tests;

/// <summary>The payload types serialise to the protocol's (and the browser's) exact JSON shapes and back.</summary>
public class PayloadSerializationTests
{
    private static SignalingJsonContext Context => SignalingJsonContext.Default;

    [Test]
    public void Group_info_has_the_get_group_shape()
    {
        var json = JsonSerializer.Serialize(new GroupInfo("g1", "u1", 5, ["u1", "u2"]), Context.GroupInfo);
        Assert.That(json, Is.EqualTo("""{"id":"g1","owner":"u1","capability":5,"members":["u1","u2"]}"""));
    }

    [Test]
    public void Offer_has_the_browsers_shape()
    {
        var json = JsonSerializer.Serialize(new SessionDescriptionPayload("offer", "v=0\r\n"), Context.SessionDescriptionPayload);
        Assert.That(json, Is.EqualTo("""{"type":"offer","sdp":"v=0\r\n"}"""));
    }

    [Test]
    public void Candidate_has_the_browsers_shape()
    {
        var json = JsonSerializer.Serialize(new IceCandidatePayload("candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "0", 0), Context.IceCandidatePayload);
        Assert.That(json, Is.EqualTo("""{"type":"candidate","candidate":"candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"""));
    }

    [Test]
    public void Browser_candidate_with_nulls_deserialises()
    {
        var c = JsonSerializer.Deserialize("""{"candidate":"","sdpMid":null,"sdpMLineIndex":null,"type":"candidate","usernameFragment":"abc"}""", Context.IceCandidatePayload)!;
        Assert.Multiple(() =>
        {
            Assert.That(c.Candidate, Is.Empty);
            Assert.That(c.SdpMid, Is.Null);
            Assert.That(c.SdpMLineIndex, Is.Null);
            Assert.That(c.Type, Is.EqualTo("candidate"));
        });
    }

    [Test]
    public void Error_omits_absent_data()
    {
        Assert.Multiple(() =>
        {
            Assert.That(JsonSerializer.Serialize(new SignalingError(-32001, "Call init first."), Context.SignalingError),
                Is.EqualTo("""{"code":-32001,"message":"Call init first."}"""));
            Assert.That(JsonSerializer.Serialize(new SignalingError(-32011, "x", JsonElement.Parse("null")), Context.SignalingError),
                Is.EqualTo("""{"code":-32011,"message":"x","data":null}"""));
        });
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Group_info_round_trips() => Prop.ForAll(
        Arb.From(Gen.Zip(Gen.Zip(TestGenerators.Text, TestGenerators.HexId), Gen.Zip(Gen.Choose(0, 15), Gen.ArrayOf(TestGenerators.HexId)))),
        t =>
        {
            var group = new GroupInfo(t.Item1.Item1, t.Item1.Item2, t.Item2.Item1, t.Item2.Item2);
            var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(group, Context.GroupInfo), Context.GroupInfo)!;
            return back.Id == group.Id && back.Owner == group.Owner && back.Capability == group.Capability && back.Members.SequenceEqual(group.Members);
        });

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Descriptions_round_trip() => Prop.ForAll(
        Arb.From(Gen.Zip(Gen.Elements("offer", "answer", "pranswer", "rollback"), TestGenerators.Text)),
        t =>
        {
            var payload = new SessionDescriptionPayload(t.Item1, t.Item2);
            return JsonSerializer.Deserialize(JsonSerializer.Serialize(payload, Context.SessionDescriptionPayload), Context.SessionDescriptionPayload) == payload;
        });

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Candidates_round_trip() => Prop.ForAll(
        Arb.From(Gen.Zip(TestGenerators.Text, Gen.Zip(TestGenerators.Text.OrNull(), Gen.Choose(-1, 8)))),
        t =>
        {
            var payload = new IceCandidatePayload(t.Item1, t.Item2.Item1, t.Item2.Item2 < 0 ? null : t.Item2.Item2);
            var element = JsonSerializer.SerializeToElement(payload, Context.IceCandidatePayload);
            return element.GetProperty("type").GetString() == "candidate"
                && JsonSerializer.Deserialize(element, Context.IceCandidatePayload) == payload;
        });

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property Errors_round_trip() => Prop.ForAll(
        Arb.From(Gen.Zip(Gen.Choose(-32768, 32767), TestGenerators.Text)),
        t =>
        {
            var error = new SignalingError(t.Item1, t.Item2);
            return JsonSerializer.Deserialize(JsonSerializer.Serialize(error, Context.SignalingError), Context.SignalingError) == error;
        });
}
