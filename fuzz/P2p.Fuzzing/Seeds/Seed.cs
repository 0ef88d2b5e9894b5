namespace P2p.Fuzzing.Seeds;

/// <summary>One generated seed: the file name under fuzz/corpus/&lt;target&gt;/ and its bytes.</summary>
/// <param name="Name">The file name (prefixed <c>gen-</c> by the writer: made by our own encoders).</param>
/// <param name="Data">The bytes.</param>
internal sealed record Seed(string Name, byte[] Data);
