using Hearth.Core.Api;
using Hearth.Server.Api;

namespace Hearth.Server.Tests;

public sealed class PullPolicyValidationTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("missing", null)]
    [InlineData("always", "always")]
    [InlineData("never", "never")]
    public void A_pull_policy_reaches_the_task_spec(string? pull, string? stored)
    {
        var (spec, _, errors) = RunRequestValidator.Validate(
            new CreateRunBody { Image = "127.0.0.1:5000/app:1", Pull = pull }
        );
        Assert.Empty(errors);
        Assert.Equal(stored, spec!.Pull);
    }

    [Fact]
    public void An_unknown_policy_or_one_without_an_image_is_refused()
    {
        var (_, _, unknown) = RunRequestValidator.Validate(
            new CreateRunBody { Image = "127.0.0.1:5000/app:1", Pull = "sometimes" }
        );
        Assert.Contains(unknown, e => e.StartsWith("pull: 'sometimes'", StringComparison.Ordinal));
        var (_, _, imageless) = RunRequestValidator.Validate(new CreateRunBody { Command = ["true"], Pull = "always" });
        Assert.Contains(imageless, e => e.StartsWith("pull: only runs in an image", StringComparison.Ordinal));
    }
}
