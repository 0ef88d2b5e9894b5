namespace P2p.Core.Transport;

/// <summary>Which side of the offer/answer exchange a connection takes.</summary>
public enum PeerConnectionRole
{
    /// <summary>Creates the offer (<see cref="IPeerConnection.CreateOfferAsync"/>) and accepts the answer.</summary>
    Offerer,

    /// <summary>Accepts an offer and returns the answer (<see cref="IPeerConnection.AcceptOfferAsync"/>).</summary>
    Answerer,
}
