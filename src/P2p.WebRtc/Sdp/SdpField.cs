namespace P2p.WebRtc.Sdp;

/// <summary>
/// A line kept as text because this library gives it no meaning of its own (e.g. <c>t=</c>, <c>b=</c>,
/// <c>i=</c>, or a type letter it does not know): it is written back unchanged.
/// </summary>
/// <param name="Type">The type letter.</param>
/// <param name="Value">The text after <c>=</c>.</param>
public sealed record SdpField(char Type, string Value)
{
    /// <summary>Formats the line without line ending.</summary>
    public override string ToString() => $"{Type}={Value}";
}
