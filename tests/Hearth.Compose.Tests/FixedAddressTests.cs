using Hearth.Compose.Deployment;
using Hearth.Core.Services;

namespace Hearth.Compose.Tests;

/// <summary>
/// ipv4_address on a network with a declared subnet, as the desired state `hearth up` sends, and its refusals.
/// </summary>
public sealed class FixedAddressTests
{
    private static (ProjectSpec? Spec, IReadOnlyList<string> Errors) Build(string yaml)
    {
        var loaded = InMemory.Load(yaml);
        Assert.True(loaded.Success, string.Join("\n", loaded.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(loaded.Project!, _ => null, _ => null, "compose.yaml");
        return (spec, [.. errors.Select(e => $"{e.Path}: {e.Message}").Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public void A_fixed_address_in_the_declared_subnet_reaches_the_attachment_and_every_replica_on_it_carries_the_subnet()
    {
        var (spec, errors) = Build(
            """
            services:
              dns: { image: busybox, networks: { dns-net: { ipv4_address: 172.20.0.2, aliases: [ resolver ] } } }
              web: { image: busybox, networks: [ dns-net, plain ], deploy: { replicas: 2 } }
            networks:
              dns-net: { ipam: { config: [ { subnet: "fd00::/64" }, { subnet: 172.20.0.0/24 } ] } }
              plain: {}
            """
        );
        Assert.Empty(errors);
        Assert.NotNull(spec);
        Assert.Equal(
            ("resolver", "172.20.0.2", "172.20.0.0/24"),
            (Single(spec, "dns").Aliases.Single(), Single(spec, "dns").Ipv4Address, Single(spec, "dns").Subnet)
        );
        var web = spec.Services.Single(s => s.Name == "web").Networks;
        Assert.Equal(
            [("dns-net", null, "172.20.0.0/24"), ("plain", null, null)],
            web.Select(n => (n.Network, n.Ipv4Address, n.Subnet))
        );
    }

    private static ServiceNetworkAttachment Single(ProjectSpec spec, string service) =>
        spec.Services.Single(s => s.Name == service).Networks.Single();

    [Fact]
    public void A_fixed_address_without_a_subnet_outside_it_on_several_replicas_or_v6_or_mac_is_refused()
    {
        var (spec, errors) = Build(
            """
            services:
              a: { image: busybox, networks: { plain: { ipv4_address: 10.1.0.5 } } }
              b: { image: busybox, networks: { fixed: { ipv4_address: 172.21.0.1 } }, deploy: { replicas: 2 } }
              c: { image: busybox, networks: { fixed: { ipv6_address: "fd00::5", mac_address: "02:42:ac:11:00:02" } } }
            networks:
              plain: {}
              fixed: { ipam: { config: [ { subnet: 172.21.0.0/24 } ] } }
            """
        );
        Assert.Null(spec);
        Assert.Equal(
            [
                "services.a.networks.plain.ipv4_address: 10.1.0.5: network plain declares no subnet (ipam.config[].subnet); "
                    + "a fixed address needs one that holds it",
                "services.b.deploy.replicas: 2 replicas cannot share the fixed address 172.21.0.1; use one",
                "services.b.networks.fixed.ipv4_address: 172.21.0.1 is not a host address of fixed's subnet 172.21.0.0/24 "
                    + "(its network, gateway (.1) and broadcast addresses are not)",
                "services.c.networks.fixed.ipv6_address: Hearth does not support fixed IPv6 addresses: its bridges are IPv4 only",
                "services.c.networks.fixed.mac_address: Hearth does not support fixed MAC addresses: each replica's interface gets its own",
            ],
            errors
        );
    }
}
