namespace P2p.Signaling.WebSockets;

/// <summary>The result of <c>get_resume_token</c>: <c>{"token","gracePeriodMs"}</c>.</summary>
/// <param name="Token">The opaque token (never logged).</param>
/// <param name="GracePeriodMs">How long the server keeps a dropped session, in milliseconds.</param>
internal sealed record ResumeTokenResult(string Token, long GracePeriodMs);
