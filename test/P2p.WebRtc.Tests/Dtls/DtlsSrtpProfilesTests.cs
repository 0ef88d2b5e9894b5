using Org.BouncyCastle.Tls;
using P2p.WebRtc.Dtls;

namespace P2p.WebRtc.Tests.Dtls;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DtlsSrtpProfilesTests
{
    [Test]
    public void Server_selects_the_first_profile_of_the_clients_list_that_it_supports()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DtlsSrtpProfiles.Select([SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80, SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM]), Is.EqualTo(SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80));
            Assert.That(DtlsSrtpProfiles.Select([SrtpProtectionProfile.SRTP_NULL_HMAC_SHA1_80, SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM]), Is.EqualTo(SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM));
            Assert.That(DtlsSrtpProfiles.Select([SrtpProtectionProfile.SRTP_NULL_HMAC_SHA1_80]), Is.EqualTo(-1), "no common profile: the extension is omitted");
            Assert.That(DtlsSrtpProfiles.Select([]), Is.EqualTo(-1));
        });
    }

    [Test]
    public void Client_accepts_one_profile_that_it_offered()
    {
        Assert.That(DtlsSrtpProfiles.CheckServerChoice(new UseSrtpData([SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM], [])), Is.EqualTo(SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM));
    }

    [TestCase(new[] { SrtpProtectionProfile.SRTP_NULL_HMAC_SHA1_80 }, new byte[0], TestName = "Client_refuses_a_profile_it_did_not_offer")]
    [TestCase(new[] { SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM, SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80 }, new byte[0], TestName = "Client_refuses_two_profiles")]
    [TestCase(new[] { SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM }, new byte[] { 1, 2 }, TestName = "Client_refuses_an_MKI_it_did_not_offer")]
    public void Client_refuses_an_answer_that_breaks_RFC_5764(int[] profiles, byte[] mki)
    {
        var error = Assert.Throws<TlsFatalAlert>(() => DtlsSrtpProfiles.CheckServerChoice(new UseSrtpData(profiles, mki)));
        Assert.That(error!.AlertDescription, Is.EqualTo(AlertDescription.illegal_parameter));
    }

    [Test]
    public void Offer_lists_the_browsers_profiles_with_no_MKI()
    {
        var offer = DtlsSrtpProfiles.Offer();
        Assert.That(offer.ProtectionProfiles, Does.Contain(SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM).And.Contain(SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80));
        Assert.That(offer.Mki, Is.Empty);
    }
}
