using Hearth.Core.Services;
using Hearth.Server.Services;

namespace Hearth.Server.Tests;

/// <summary>
/// What the API refuses of a project's sharing and fixed addresses (the CLI's builder refuses it first).
/// </summary>
public sealed class ProjectSharingValidationTests
{
    private static readonly ServiceDefinition Web = new() { Name = "web", Image = "busybox" };

    private static string? Validate(ServiceDefinition service) =>
        ProjectService.Validate("p", new ProjectSpec { Name = "p", Services = [Web, service] });

    [Fact]
    public void Sharing_names_another_service_of_the_project_and_a_fixed_address_its_subnet()
    {
        Assert.Null(
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    NetworkMode = "service:web",
                    IpcOf = "web",
                }
            )
        );
        Assert.Null(
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    NetworkMode = "none",
                    VolumesFrom = ["web"],
                }
            )
        );
        Assert.Equal(
            "services.side.network_mode: 'host': expected none or service:NAME",
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    NetworkMode = "host",
                }
            )
        );
        Assert.Equal(
            "services.side: shares with 'db', which is not another service of the project",
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    VolumesFrom = ["db"],
                }
            )
        );
        Assert.Equal(
            "services.side: shares with 'side', which is not another service of the project",
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    IpcOf = "side",
                }
            )
        );
        Assert.Equal(
            "services.side.networks.n.ipv4_address: needs the network's subnet",
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    Networks = [new ServiceNetworkAttachment("n", [], "10.0.0.5")],
                }
            )
        );
    }

    [Fact]
    public void A_shm_size_is_above_zero_and_not_set_on_a_service_that_uses_another_ones_dev_shm()
    {
        Assert.Null(
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    IpcOf = "web",
                }
            )
        );
        Assert.Null(
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    Container = new ContainerSettings { ShmSizeBytes = 1L << 30 },
                }
            )
        );
        Assert.Equal(
            "services.side.shm_size: the replicas use web's /dev/shm (ipc: service:web); set shm_size on web",
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    IpcOf = "web",
                    Container = new ContainerSettings { ShmSizeBytes = 1L << 30 },
                }
            )
        );
        Assert.Equal(
            "services.side.shm_size: -1 is not a size in bytes above 0",
            Validate(
                new ServiceDefinition
                {
                    Name = "side",
                    Image = "busybox",
                    Container = new ContainerSettings { ShmSizeBytes = -1 },
                }
            )
        );
    }
}
