namespace P2p.Testing.Interop;

/// <summary>Which side of the offer/answer exchange a scenario peer takes.</summary>
public enum ScenarioRole
{
    /// <summary>Creates the offer and opens the channels.</summary>
    Offer,

    /// <summary>Answers the offer and accepts the channels.</summary>
    Answer,
}
