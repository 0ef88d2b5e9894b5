using P2p.WebRtc;

namespace P2p.ColdStart;

/// <summary>The offer/answer exchange between two peer connections of one process (also used by the benchmarks).</summary>
public static class Negotiation
{
    /// <summary>Creates and applies the offer, then the answer, on both ends.</summary>
    /// <param name="offerer">The end that offers.</param>
    /// <param name="answerer">The end that answers.</param>
    /// <returns>A task that completes when both ends have both descriptions.</returns>
    public static async Task ExchangeAsync(RtcPeerConnection offerer, RtcPeerConnection answerer)
    {
        var offer = await offerer.CreateOfferAsync();
        await offerer.SetLocalDescriptionAsync(offer);
        await answerer.SetRemoteDescriptionAsync(offer);
        var answer = await answerer.CreateAnswerAsync();
        await answerer.SetLocalDescriptionAsync(answer);
        await offerer.SetRemoteDescriptionAsync(answer);
    }
}
