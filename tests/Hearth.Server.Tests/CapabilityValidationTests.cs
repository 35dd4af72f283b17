using Hearth.Core.Api;
using Hearth.Server.Api;

namespace Hearth.Server.Tests;

/// <summary>
/// A run request is checked against what the live agents' drivers can do, never against driver names.
/// </summary>
public sealed class CapabilityValidationTests
{
    private static readonly AgentDriverView Namespaces = new(
        "bubblewrap",
        "namespaces",
        ["none", "host"],
        Ports: false,
        Signals: true,
        Exec: true,
        Recover: true,
        ["cpu", "memory", "pids"],
        Default: true
    );

    private static readonly AgentDriverView Containers = new(
        "box",
        "image",
        ["none", "bridge"],
        Ports: true,
        Signals: true,
        Exec: true,
        Recover: true,
        ["cpu", "memory", "pids"]
    );

    [Fact]
    public void An_image_goes_to_the_driver_a_live_agent_runs_images_with_whatever_its_name()
    {
        var (spec, _, errors) = RunRequestValidator.Validate(
            new CreateRunBody { Image = "alpine", Command = ["true"] },
            live: [Namespaces, Containers]
        );

        Assert.Empty(errors);
        Assert.Equal("box", spec!.Driver);
        Assert.Equal("true", spec.Requirements["driver.box"]);
    }

    [Fact]
    public void An_image_for_a_driver_whose_filesystem_is_namespaces_is_refused_with_why()
    {
        var (_, _, errors) = RunRequestValidator.Validate(
            new CreateRunBody { Image = "alpine", Driver = "bubblewrap" },
            live: [Namespaces, Containers]
        );

        Assert.Equal(
            [
                "driver: 'bubblewrap' cannot run images (its filesystem isolation is namespaces; drivers that run images here: box)",
            ],
            errors
        );
    }

    [Fact]
    public void Ports_for_a_driver_that_cannot_publish_them_are_refused()
    {
        var (_, _, errors) = RunRequestValidator.Validate(
            new CreateRunBody
            {
                Command = ["true"],
                Driver = "bubblewrap",
                Publish = ["8080:80"],
            },
            live: [Namespaces]
        );

        Assert.Equal(["publish: the bubblewrap driver cannot publish ports"], errors);
    }

    [Fact]
    public void A_driver_no_live_agent_runs_is_not_refused_here_and_an_image_without_one_waits_for_an_agent_that_runs_images()
    {
        var (named, _, namedErrors) = RunRequestValidator.Validate(
            new CreateRunBody { Command = ["true"], Driver = "microvm" },
            live: [Namespaces]
        );
        var (image, _, imageErrors) = RunRequestValidator.Validate(
            new CreateRunBody { Image = "alpine" },
            live: [Namespaces]
        );

        Assert.Empty(namedErrors);
        Assert.Equal("true", named!.Requirements["driver.microvm"]);
        Assert.Empty(imageErrors);
        Assert.Null(image!.Driver);
        Assert.Equal("true", image.Requirements[DriverLabels.Images]);
    }

    [Fact]
    public void A_driver_name_that_cannot_be_a_label_is_refused()
    {
        var (_, _, errors) = RunRequestValidator.Validate(
            new CreateRunBody { Command = ["true"], Driver = "Bad Name" },
            live: [Namespaces]
        );

        Assert.Equal(["driver: 'Bad Name' is not a driver name (lower-case letters, digits and -)"], errors);
    }
}
