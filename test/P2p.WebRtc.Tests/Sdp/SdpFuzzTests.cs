using System.Text;
using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.Sdp;

namespace P2p.WebRtc.Tests.Sdp;

/// <summary>Malformed input must end in an SdpParseException (or parse), never another exception or a hang.</summary>
public class SdpFuzzTests
{
    private static bool ParsesOrRejectsCleanly(string text)
    {
        try
        {
            var sd = SessionDescription.Parse(text);
            var written = sd.ToString();
            // What we write we must read back to the same text.
            return SessionDescription.Parse(written).ToString() == written;
        }
        catch (SdpParseException e)
        {
            return e.Message.Length > 0;
        }
    }

    [Test]
    public void Random_strings_parse_or_throw_sdp_parse_exception() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(Arb.From(ArbMap.Default.GeneratorFor<string>()), s =>
            ParsesOrRejectsCleanly(s ?? string.Empty) && CandidateParsesOrRejects(s ?? string.Empty)));

    [Test]
    public void Random_lines_of_sdp_shape_parse_or_throw_sdp_parse_exception()
    {
        var letters = Gen.Elements('v', 'o', 's', 't', 'c', 'm', 'a', 'b', 'i', 'x');
        var values = Gen.Elements("0", "- 1 1 IN IP4 0.0.0.0", "-", "0 0", "IN IP4 0.0.0.0", "application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "candidate:1 1 udp 1 127.0.0.1 1 typ host", "candidate:1 1 udp", "mid:0", "setup:active", "fingerprint:sha-256 00", "", ":", " ", "sctp-port:1");
        var line = Gen.Zip(letters, values, (l, v) => l + "=" + v);
        var prefix = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
        var gen = Gen.ListOf(line).Select(ls => prefix + string.Join("\r\n", ls));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(Arb.From(gen), ParsesOrRejectsCleanly));
    }

    [TestCase(ChromiumSdp.Offer, 1)]
    [TestCase(ChromiumSdp.Answer, 2)]
    public void Mutated_chromium_sdp_parses_or_throws_sdp_parse_exception(string original, int seed)
    {
        var random = new Random(seed);
        const string alphabet = "v=oamtc:/ \r\n0123456789abcdefXYZ-+.\0\u00e9";
        for (var i = 0; i < 2000; i++)
        {
            var sb = new StringBuilder(original);
            var edits = random.Next(1, 6);
            for (var e = 0; e < edits && sb.Length > 0; e++)
            {
                var at = random.Next(sb.Length);
                switch (random.Next(4))
                {
                    case 0:
                        sb.Remove(at, Math.Min(sb.Length - at, random.Next(1, 8)));
                        break;
                    case 1:
                        sb.Insert(at, alphabet[random.Next(alphabet.Length)]);
                        break;
                    case 2:
                        sb[at] = alphabet[random.Next(alphabet.Length)];
                        break;
                    default:
                        sb.Length = at; // truncate
                        break;
                }
            }

            var text = sb.ToString();
            Assert.That(ParsesOrRejectsCleanly(text), Is.True, $"mutation {i}: {text}");
        }
    }

    private static bool CandidateParsesOrRejects(string s)
    {
        try
        {
            var c = IceCandidate.Parse(s);
            return IceCandidate.Parse(c.ToString()).ToString() == c.ToString();
        }
        catch (SdpParseException)
        {
            return true;
        }
    }
}
