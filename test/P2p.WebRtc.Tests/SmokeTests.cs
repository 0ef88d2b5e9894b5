namespace P2p.WebRtc.Tests; public class SmokeTests { [Test] public void Builds() => Assert.Pass(); }
