namespace P2p.Signaling.WebSockets;

/// <summary>The result of <c>resume</c>: <c>{"id","groups"}</c>.</summary>
/// <param name="Id">The user id (the resumed session's).</param>
/// <param name="Groups">The groups the member is in after resuming.</param>
internal sealed record ResumeResult(string Id, IReadOnlyList<string> Groups);
