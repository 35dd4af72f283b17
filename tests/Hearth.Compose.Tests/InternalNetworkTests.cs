using Hearth.Compose.Deployment;
using Hearth.Core;
using Hearth.Core.Services;

namespace Hearth.Compose.Tests;

/// <summary>A network declared <c>internal: true</c> marks every attachment to it, and only those.</summary>
public sealed class InternalNetworkTests
{
    [Fact]
    public void Attachments_to_an_internal_network_say_so_and_others_leave_it_out_of_the_definition()
    {
        var loaded = InMemory.Load(
            """
            services:
              db: { image: busybox, networks: [ back ] }
              web: { image: busybox, networks: { back: {}, front: {} } }
              worker: { image: busybox }
            networks:
              back: { internal: true, ipam: { config: [ { subnet: 172.21.0.0/24 } ] } }
              front: {}
            """
        );
        Assert.True(loaded.Success, string.Join("\n", loaded.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(loaded.Project!, _ => null, _ => null, "compose.yaml");
        Assert.Empty(errors);
        var networks = spec!.Services.ToDictionary(
            s => s.Name,
            s => s.Networks.Select(n => (n.Network, n.Internal)).ToList()
        );
        Assert.Equal([("back", true)], networks["db"]);
        Assert.Equal([("back", true), ("front", false)], networks["web"]);
        Assert.Equal([("default", false)], networks["worker"]);
        // An ordinary attachment serialises as before (its replicas' definition hash is unchanged by the field).
        Assert.DoesNotContain("internal", HearthJson.Serialize(spec.Services.Single(s => s.Name == "worker").Networks));
        Assert.Contains("\"internal\":true", HearthJson.Serialize(spec.Services.Single(s => s.Name == "db").Networks));
    }
}
