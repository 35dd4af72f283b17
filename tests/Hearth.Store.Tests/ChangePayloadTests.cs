using Hearth.Store.Changes;

namespace Hearth.Store.Tests;

public sealed class ChangePayloadTests
{
    [Fact]
    public void Another_servers_payload_gives_its_keys_in_order()
    {
        var payload = ChangePayload.Format("s1", ["run:a", "work", "stop:t"]);
        Assert.Equal(["run:a", "work", "stop:t"], ChangePayload.Parse(payload, self: "s2"));
    }

    [Fact]
    public void A_servers_own_payload_and_an_unreadable_one_give_nothing()
    {
        Assert.Empty(ChangePayload.Parse(ChangePayload.Format("s1", ["run:a"]), self: "s1"));
        Assert.Empty(ChangePayload.Parse("just-a-sender", self: "s2"));
        Assert.Empty(ChangePayload.Parse("", self: "s2"));
    }
}
