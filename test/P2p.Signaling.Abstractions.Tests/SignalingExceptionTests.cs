using System.Text.Json;

namespace P2p.Signaling.Abstractions.Tests;

public class SignalingExceptionTests
{
    [Test]
    public void Carries_code_message_and_data()
    {
        var data = JsonElement.Parse("""{"retryAfter":5}""");
        var ex = new SignalingException(SignalingErrorCode.RelayTimeout, "too slow", data);
        Assert.Multiple(() =>
        {
            Assert.That(ex.Code, Is.EqualTo(SignalingErrorCode.RelayTimeout));
            Assert.That(ex.Message, Is.EqualTo("too slow"));
            Assert.That(ex.ErrorData!.Value.GetProperty("retryAfter").GetInt32(), Is.EqualTo(5));
        });
    }

    [Test]
    public void Round_trips_through_the_error_object()
    {
        var error = new SignalingError(-32002, "No group 'x'.", JsonElement.Parse("[1,2]"));
        var ex = SignalingException.FromError(error);
        var back = ex.ToError();
        Assert.Multiple(() =>
        {
            Assert.That(back.Code, Is.EqualTo(-32002));
            Assert.That(back.Message, Is.EqualTo("No group 'x'."));
            Assert.That(JsonElement.DeepEquals(back.Data!.Value, error.Data!.Value), Is.True);
        });
    }

    [Test]
    public void Keeps_codes_it_does_not_name()
    {
        var ex = SignalingException.FromError(new SignalingError(4711, "app-specific"));
        Assert.That((int)ex.Code, Is.EqualTo(4711));
    }

    [Test]
    public void Default_constructors_use_internal_error()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new SignalingException().Code, Is.EqualTo(SignalingErrorCode.InternalError));
            Assert.That(new SignalingException("m").Code, Is.EqualTo(SignalingErrorCode.InternalError));
            Assert.That(new SignalingException("m", new InvalidOperationException()).InnerException, Is.InstanceOf<InvalidOperationException>());
        });
    }
}
