using System.Buffers.Binary;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.Stun;

namespace P2p.WebRtc.Tests.Stun;

public class StunMessageTests
{
    private static readonly byte[] ShortTermKey = StunCredentials.ShortTermKey(Rfc5769Vectors.ShortTermPassword);

    [Test]
    public void Rfc_5769_sample_request()
    {
        Assert.That(StunMessage.TryParse(Rfc5769Vectors.Request, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.Method, Is.EqualTo(StunMethod.Binding));
        Assert.That(m.Class, Is.EqualTo(StunMessageClass.Request));
        Assert.That(m.TransactionId, Is.EqualTo(StunTransactionId.Read(Rfc5769Vectors.TransactionId)));
        Assert.That(m.GetString(StunAttributeType.Software), Is.EqualTo("STUN test client"));
        Assert.That(m.GetString(StunAttributeType.Username), Is.EqualTo("evtj:h6vY"));
        Assert.That(m.TryGetUInt32(StunAttributeType.Priority, out var priority), Is.True);
        Assert.That(priority, Is.EqualTo(0x6e0001ffu));
        Assert.That(m.TryGetUInt64(StunAttributeType.IceControlled, out var tieBreaker), Is.True);
        Assert.That(tieBreaker, Is.EqualTo(0x932ff9b151263b36UL));
        Assert.That(m.HasFingerprint, Is.True);
        Assert.That(m.HasMessageIntegrity, Is.True);
        Assert.That(m.VerifyMessageIntegrity(ShortTermKey), Is.True);
        Assert.That(m.VerifyMessageIntegrity(StunCredentials.ShortTermKey("wrong")), Is.False);
    }

    [Test]
    public void Rfc_5769_sample_IPv4_response()
    {
        Assert.That(StunMessage.TryParse(Rfc5769Vectors.ResponseIPv4, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.Class, Is.EqualTo(StunMessageClass.SuccessResponse));
        Assert.That(m.GetString(StunAttributeType.Software), Is.EqualTo("test vector"));
        Assert.That(m.TryGetXorMappedAddress(out var ep), Is.True);
        Assert.That(ep, Is.EqualTo(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853)));
        Assert.That(m.VerifyMessageIntegrity(ShortTermKey), Is.True);
    }

    [Test]
    public void Rfc_5769_sample_IPv6_response()
    {
        Assert.That(StunMessage.TryParse(Rfc5769Vectors.ResponseIPv6, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.TryGetXorMappedAddress(out var ep), Is.True);
        Assert.That(ep, Is.EqualTo(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853)));
        Assert.That(m.VerifyMessageIntegrity(ShortTermKey), Is.True);
    }

    [Test]
    public void Rfc_5769_sample_request_with_long_term_authentication()
    {
        Assert.That(StunMessage.TryParse(Rfc5769Vectors.RequestLongTerm, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.GetString(StunAttributeType.Username), Is.EqualTo(Rfc5769Vectors.LongTermUsername));
        Assert.That(m.GetString(StunAttributeType.Nonce), Is.EqualTo(Rfc5769Vectors.LongTermNonce));
        Assert.That(m.GetString(StunAttributeType.Realm), Is.EqualTo(Rfc5769Vectors.LongTermRealm));
        Assert.That(m.HasFingerprint, Is.False);
        var key = StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.LongTermRealm, Rfc5769Vectors.LongTermPassword);
        Assert.That(m.VerifyMessageIntegrity(key), Is.True);
    }

    [Test]
    public void Writer_reproduces_rfc_5769LongTermRequest_byte_for_byte()
    {
        Span<byte> buffer = stackalloc byte[256];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.Read(Rfc5769Vectors.LongTermTransactionId));
        w.AddString(StunAttributeType.Username, Rfc5769Vectors.LongTermUsername);
        w.AddString(StunAttributeType.Nonce, Rfc5769Vectors.LongTermNonce);
        w.AddString(StunAttributeType.Realm, Rfc5769Vectors.LongTermRealm);
        w.AddMessageIntegrity(StunCredentials.LongTermKey(Rfc5769Vectors.LongTermUsername, Rfc5769Vectors.LongTermRealm, Rfc5769Vectors.LongTermPassword));
        Assert.That(w.Written.ToArray(), Is.EqualTo(Rfc5769Vectors.RequestLongTerm));
    }

    [Test]
    public void Writer_reproduces_rfc_5769Request_except_padding_bytes()
    {
        // RFC 5769 pads USERNAME with spaces; the writer pads with zeros (RFC 8489 §14), so only the
        // three padding bytes and the two hashes over them differ. Both must still verify.
        Span<byte> buffer = stackalloc byte[256];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.Read(Rfc5769Vectors.TransactionId));
        w.AddString(StunAttributeType.Software, "STUN test client");
        w.AddUInt32(StunAttributeType.Priority, 0x6e0001ff);
        w.AddUInt64(StunAttributeType.IceControlled, 0x932ff9b151263b36);
        w.AddString(StunAttributeType.Username, "evtj:h6vY");
        w.AddMessageIntegrity(ShortTermKey);
        w.AddFingerprint();
        var written = w.Written.ToArray();
        Assert.That(written, Has.Length.EqualTo(Rfc5769Vectors.Request.Length));
        Assert.That(written.AsSpan(0, 73).ToArray(), Is.EqualTo(Rfc5769Vectors.Request.AsSpan(0, 73).ToArray()));
        Assert.That(written.AsSpan(73, 3).ToArray(), Is.EqualTo(new byte[3]));
        Assert.That(written.AsSpan(76, 4).ToArray(), Is.EqualTo(Rfc5769Vectors.Request.AsSpan(76, 4).ToArray()));
        Assert.That(StunMessage.TryParse(written, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.VerifyMessageIntegrity(ShortTermKey), Is.True);
    }

    [Test]
    public void Writer_encodes_rfc_5769XorMappedAddresses()
    {
        var tid = StunTransactionId.Read(Rfc5769Vectors.TransactionId);
        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.SuccessResponse, tid);
        w.AddXorAddress(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853));
        w.AddXorAddress(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853));
        Assert.That(w.Written.Slice(20, 12).ToArray(), Is.EqualTo(Rfc5769Vectors.ResponseIPv4.AsSpan(36, 12).ToArray()));
        Assert.That(w.Written.Slice(32, 24).ToArray(), Is.EqualTo(Rfc5769Vectors.ResponseIPv6.AsSpan(36, 24).ToArray()));
    }

    [TestCase(StunMethod.Binding, StunMessageClass.Request, 0x0001)]
    [TestCase(StunMethod.Binding, StunMessageClass.Indication, 0x0011)]
    [TestCase(StunMethod.Binding, StunMessageClass.SuccessResponse, 0x0101)]
    [TestCase(StunMethod.Binding, StunMessageClass.ErrorResponse, 0x0111)]
    [TestCase(StunMethod.Allocate, StunMessageClass.Request, 0x0003)]
    [TestCase(StunMethod.Allocate, StunMessageClass.ErrorResponse, 0x0113)]
    [TestCase(StunMethod.Send, StunMessageClass.Indication, 0x0016)]
    [TestCase(StunMethod.Data, StunMessageClass.Indication, 0x0017)]
    [TestCase(StunMethod.ChannelBind, StunMessageClass.SuccessResponse, 0x0109)]
    public void Message_type_encodes_and_decodes(StunMethod method, StunMessageClass cls, int expected)
    {
        var t = StunMessageType.Encode(method, cls);
        Assert.That(t, Is.EqualTo(expected));
        Assert.That((StunMethod)StunMessageType.GetMethod(t), Is.EqualTo(method));
        Assert.That(StunMessageType.GetClass(t), Is.EqualTo(cls));
    }

    [Test]
    public void Message_type_round_trips_all_methods_and_classes()
    {
        for (var method = 0; method < 0x1000; method++)
        {
            for (var cls = 0; cls < 4; cls++)
            {
                var t = StunMessageType.Encode((StunMethod)method, (StunMessageClass)cls);
                Assert.That(StunMessageType.GetMethod(t), Is.EqualTo(method));
                Assert.That((int)StunMessageType.GetClass(t), Is.EqualTo(cls));
            }
        }
    }

    [Test]
    public void Error_code_and_unknown_attributes_round_trip()
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.ErrorResponse, StunTransactionId.NewRandom());
        w.AddErrorCode(420);
        w.AddUnknownAttributes([0x7001, 0x0033, 0x0044]);
        w.AddFingerprint();
        Assert.That(StunMessage.TryParse(w.Written, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.TryGetErrorCode(out var code, out var reason), Is.True);
        Assert.That(code, Is.EqualTo(420));
        Assert.That(System.Text.Encoding.UTF8.GetString(reason), Is.EqualTo("Unknown Attribute"));
        Span<ushort> unknown = stackalloc ushort[8];
        var n = m.GetUnknownAttributes(unknown);
        Assert.That(unknown[..n].ToArray(), Is.EqualTo(new ushort[] { 0x7001, 0x0033, 0x0044 }));
    }

    [Test]
    public void Unknown_comprehension_required_is_reported_optional_is_skipped()
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunMethod.Binding, StunMessageClass.Request, StunTransactionId.NewRandom());
        w.AddAttribute((ushort)StunAttributeType.GoogNetworkInfo, [0, 1, 0, 50]);
        w.AddAttribute(0x7ABC, [1, 2, 3]);
        w.AddUInt32(StunAttributeType.Priority, 5);
        Assert.That(StunMessage.TryParse(w.Written, out var m), Is.EqualTo(StunParseResult.Success));
        Span<ushort> unknown = stackalloc ushort[8];
        var n = m.GetUnknownComprehensionRequired(unknown);
        Assert.That(unknown[..n].ToArray(), Is.EqualTo(new ushort[] { 0x7ABC }));
        Assert.That(m.TryGetUInt32(StunAttributeType.Priority, out var p) && p == 5, Is.True);
    }

    [Test]
    public void Attributes_after_message_integrity_are_ignored()
    {
        var msg = Rfc5769Vectors.ResponseIPv4.AsSpan(0, 72).ToArray(); // without FINGERPRINT
        // Append a PRIORITY attribute after MESSAGE-INTEGRITY.
        var longer = new byte[msg.Length + 8];
        msg.CopyTo(longer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)(longer.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(72), (ushort)StunAttributeType.Priority);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(74), 4);
        Assert.That(StunMessage.TryParse(longer, out var m), Is.EqualTo(StunParseResult.Success));
        Assert.That(m.HasAttribute(StunAttributeType.Priority), Is.False);
        Assert.That(m.VerifyMessageIntegrity(ShortTermKey), Is.True);
    }

    [Test]
    public void Every_truncation_is_rejected()
    {
        foreach (var vector in new[] { Rfc5769Vectors.Request, Rfc5769Vectors.ResponseIPv4, Rfc5769Vectors.ResponseIPv6, Rfc5769Vectors.RequestLongTerm })
        {
            for (var len = 0; len < vector.Length; len++)
            {
                Assert.That(StunMessage.TryParse(vector.AsSpan(0, len), out _), Is.Not.EqualTo(StunParseResult.Success), $"length {len}");
            }
        }
    }

    [Test]
    public void Malformed_messages_are_rejected_with_the_right_result()
    {
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[0] = 0x40)), Is.EqualTo(StunParseResult.NotStun));
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[5] ^= 1)), Is.EqualTo(StunParseResult.NotStun));
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[3] += 4)), Is.EqualTo(StunParseResult.BadLength)); // lying length
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[3] -= 2)), Is.EqualTo(StunParseResult.BadLength));
        Assert.That(Parse([.. Rfc5769Vectors.Request, 0, 0, 0, 0]), Is.EqualTo(StunParseResult.BadLength)); // trailing bytes
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[23] = 0xF0)), Is.EqualTo(StunParseResult.TruncatedAttribute)); // oversized attribute
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[^1] ^= 1)), Is.EqualTo(StunParseResult.BadFingerprint));
        Assert.That(Parse(Mutate(Rfc5769Vectors.Request, b => b[30] ^= 1)), Is.EqualTo(StunParseResult.BadFingerprint));

        // FINGERPRINT not last: swap order by appending an attribute after it.
        var fpNotLast = new byte[Rfc5769Vectors.Request.Length + 8];
        Rfc5769Vectors.Request.CopyTo(fpNotLast, 0);
        BinaryPrimitives.WriteUInt16BigEndian(fpNotLast.AsSpan(2), (ushort)(fpNotLast.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(fpNotLast.AsSpan(Rfc5769Vectors.Request.Length), 0x8022);
        BinaryPrimitives.WriteUInt16BigEndian(fpNotLast.AsSpan(Rfc5769Vectors.Request.Length + 2), 4);
        Assert.That(Parse(fpNotLast), Is.EqualTo(StunParseResult.FingerprintNotLast));

        // An attribute whose value is not padded: header says 24 bytes, attribute says 5, 3 bytes of padding missing.
        var unpadded = new byte[20 + 4 + 5];
        BinaryPrimitives.WriteUInt16BigEndian(unpadded, 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(unpadded.AsSpan(2), 9);
        BinaryPrimitives.WriteUInt32BigEndian(unpadded.AsSpan(4), StunConstants.MagicCookie);
        BinaryPrimitives.WriteUInt16BigEndian(unpadded.AsSpan(20), 0x8022);
        BinaryPrimitives.WriteUInt16BigEndian(unpadded.AsSpan(22), 5);
        Assert.That(Parse(unpadded), Is.EqualTo(StunParseResult.BadLength));
        BinaryPrimitives.WriteUInt16BigEndian(unpadded.AsSpan(2), 8); // length multiple of 4 but attribute runs past it
        Assert.That(Parse(unpadded.AsSpan(0, 28).ToArray()), Is.EqualTo(StunParseResult.TruncatedAttribute));

        // MESSAGE-INTEGRITY of the wrong size.
        var shortMi = new byte[20 + 4 + 16];
        BinaryPrimitives.WriteUInt16BigEndian(shortMi, 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(shortMi.AsSpan(2), 20);
        BinaryPrimitives.WriteUInt32BigEndian(shortMi.AsSpan(4), StunConstants.MagicCookie);
        BinaryPrimitives.WriteUInt16BigEndian(shortMi.AsSpan(20), 0x0008);
        BinaryPrimitives.WriteUInt16BigEndian(shortMi.AsSpan(22), 16);
        Assert.That(Parse(shortMi), Is.EqualTo(StunParseResult.BadAttribute));
    }

    [Test]
    public void Random_bytes_never_throw()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(Arb.From(ArbMap.Default.GeneratorFor<byte[]>()), bytes =>
        {
            bytes ??= [];
            var r = StunMessage.TryParse(bytes, out var m);
            if (r == StunParseResult.Success)
            {
                foreach (var a in m)
                {
                    _ = a.Value.Length;
                }

                _ = m.VerifyMessageIntegrity([1, 2, 3]);
                _ = m.TryGetXorMappedAddress(out _);
            }

            return true;
        }));
    }

    [Test]
    public void Randomly_mutated_vectors_never_throw_and_never_verify()
    {
        var random = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var b = (byte[])Rfc5769Vectors.Request.Clone();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                b[random.Next(b.Length)] ^= (byte)random.Next(1, 256);
            }

            if (StunMessage.TryParse(b, out var m) == StunParseResult.Success && !b.AsSpan(0, 76).SequenceEqual(Rfc5769Vectors.Request.AsSpan(0, 76)))
            {
                Assert.That(m.VerifyMessageIntegrity(ShortTermKey), Is.False, $"mutation {i} verified");
            }
        }
    }

    [Test]
    public void Generated_messages_round_trip()
    {
        var attribute =
            from type in Gen.Choose(0x8030, 0xBFFF) // comprehension-optional, none of the special ones
            from value in Gen.ArrayOf(Gen.Choose(0, 255).Select(x => (byte)x)).Where(v => v.Length < 300)
            select (Type: (ushort)type, Value: value);
        var gen =
            from attrs in Gen.ListOf(attribute).Where(l => l.Count < 6)
            from cls in Gen.Elements(StunMessageClass.Request, StunMessageClass.Indication, StunMessageClass.SuccessResponse, StunMessageClass.ErrorResponse)
            from integrity in Gen.Elements(true, false)
            from fingerprint in Gen.Elements(true, false)
            from sha256 in Gen.Elements(true, false)
            select (attrs, cls, integrity, fingerprint, sha256);
        var key = StunCredentials.ShortTermKey("a-password-of-22-chars");

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(gen), t =>
        {
            var buffer = new byte[4096];
            var tid = StunTransactionId.NewRandom();
            var w = new StunMessageWriter(buffer, StunMethod.Binding, t.cls, tid);
            foreach (var (type, value) in t.attrs)
            {
                w.AddAttribute(type, value);
            }

            if (t.integrity)
            {
                w.AddMessageIntegrity(key);
            }

            if (t.sha256)
            {
                w.AddMessageIntegritySha256(key);
            }

            if (t.fingerprint)
            {
                w.AddFingerprint();
            }

            var bytes = w.Written.ToArray();
            if (StunMessage.TryParse(bytes, out var m) != StunParseResult.Success)
            {
                return false;
            }

            var i = 0;
            foreach (var a in m)
            {
                if (a.Type is StunAttributeType.MessageIntegrity or StunAttributeType.MessageIntegritySha256 or StunAttributeType.Fingerprint)
                {
                    continue;
                }

                if (i >= t.attrs.Count || a.RawType != t.attrs[i].Type || !a.Value.SequenceEqual(t.attrs[i].Value))
                {
                    return false;
                }

                i++;
            }

            return i == t.attrs.Count && m.TransactionId == tid && m.Class == t.cls
                && m.HasFingerprint == t.fingerprint
                && (!t.integrity || m.VerifyMessageIntegrity(key))
                && (!t.sha256 || m.VerifyMessageIntegritySha256(key))
                && (!t.integrity || !m.VerifyMessageIntegrity(StunCredentials.ShortTermKey("other")));
        }));
    }

    [Test]
    public void Long_term_key_is_md_5OfUserRealmPassword()
    {
        var key = StunCredentials.LongTermKey("user", "realm", "pass");
#pragma warning disable CA5351
        var expected = System.Security.Cryptography.MD5.HashData("user:realm:pass"u8);
#pragma warning restore CA5351
        Assert.That(key, Is.EqualTo(expected));
        Assert.That(StunCredentials.LongTermKeySha256("user", "realm", "pass"), Has.Length.EqualTo(32));
    }

    private static StunParseResult Parse(byte[] bytes) => StunMessage.TryParse(bytes, out _);

    private static byte[] Mutate(byte[] source, Action<byte[]> change)
    {
        var copy = (byte[])source.Clone();
        change(copy);
        return copy;
    }
}
