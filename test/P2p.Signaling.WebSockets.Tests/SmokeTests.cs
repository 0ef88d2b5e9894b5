namespace P2p.Signaling.WebSockets.Tests; public class SmokeTests { [Test] public void Builds() => Assert.Pass(); }
