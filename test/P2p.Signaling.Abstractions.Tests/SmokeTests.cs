namespace P2p.Signaling.Abstractions.Tests; public class SmokeTests { [Test] public void Builds() => Assert.Pass(); }
