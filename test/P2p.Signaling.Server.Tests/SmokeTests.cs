namespace P2p.Signaling.Server.Tests; public class SmokeTests { [Test] public void Builds() => Assert.Pass(); }
