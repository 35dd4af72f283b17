using Hearth.Server.Auth;
using Hearth.Store.Access;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests;

public sealed class VerifiedKeysTests
{
    private static readonly AccessKeyRecord Key = new(
        "k1",
        "hash",
        KeyKind.Agent,
        "agents",
        "agent",
        DateTimeOffset.UnixEpoch
    );

    [Fact]
    public void A_valid_key_is_trusted_for_a_few_seconds_only()
    {
        var time = new FakeTimeProvider();
        var keys = new VerifiedKeys(time);

        keys.Remember("hash", Key, keys.Generation);
        Assert.Same(Key, keys.Find("hash"));
        time.Advance(VerifiedKeys.Keep);
        Assert.Null(keys.Find("hash"));
    }

    [Fact]
    public void A_revoked_key_is_never_kept_and_a_revoke_forgets_every_key()
    {
        var keys = new VerifiedKeys(new FakeTimeProvider());

        keys.Remember("revoked", Key with { RevokedAt = DateTimeOffset.UnixEpoch }, keys.Generation);
        keys.Remember("hash", Key, keys.Generation);
        keys.ForgetAll();

        Assert.Null(keys.Find("revoked"));
        Assert.Null(keys.Find("hash"));
    }

    [Fact]
    public void A_lookup_that_raced_a_revoke_is_not_kept()
    {
        var keys = new VerifiedKeys(new FakeTimeProvider());
        var before = keys.Generation;

        keys.ForgetAll();
        keys.Remember("hash", Key, before);

        Assert.Null(keys.Find("hash"));
    }
}
