namespace P2p.Fuzzing;

/// <summary>One fuzz input given to a target; the target throws only for a bug.</summary>
/// <param name="data">The input bytes.</param>
internal delegate void FuzzAction(ReadOnlySpan<byte> data);
