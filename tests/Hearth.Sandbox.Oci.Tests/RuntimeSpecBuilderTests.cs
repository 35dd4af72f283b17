using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Sandbox.Oci.Tests;

public sealed class RuntimeSpecBuilderTests
{
    private static readonly ProcessPlan Plan = new(["true"], ["PATH=/bin"], "/", 0, 0);

    [Fact]
    public void Without_a_user_namespace_there_is_none_and_no_mappings()
    {
        var linux = Build(new OciDriverOptions(), network: null)["linux"]!;
        Assert.DoesNotContain("user", Namespaces(linux));
        Assert.Null(linux["uidMappings"]);
        Assert.Null(linux["gidMappings"]);
    }

    [Fact]
    public void A_user_namespace_comes_with_uid_and_gid_mappings_of_the_range()
    {
        var linux = Build(new OciDriverOptions { UserNamespace = new IdMapping(100000, 65536) }, network: null)[
            "linux"
        ]!;
        Assert.Contains("user", Namespaces(linux));
        foreach (var key in new[] { "uidMappings", "gidMappings" })
        {
            var mapping = Assert.Single(linux[key]!.AsArray())!;
            Assert.Equal(0, mapping["containerID"]!.GetValue<int>());
            Assert.Equal(100000u, mapping["hostID"]!.GetValue<uint>());
            Assert.Equal(65536u, mapping["size"]!.GetValue<uint>());
        }
    }

    [Fact]
    public void Sys_is_a_fresh_sysfs_unless_the_network_plan_brings_one_to_bind()
    {
        Assert.Equal(
            "sysfs",
            Sys(Build(new OciDriverOptions(), new NetworkPlan("/run/netns/x", "/b/etc/hosts", "/b/etc/resolv.conf")))[
                "type"
            ]!.GetValue<string>()
        );

        var bound = Sys(
            Build(
                new OciDriverOptions { UserNamespace = new IdMapping(100000, 65536) },
                new NetworkPlan("/run/netns/x", "/b/etc/hosts", "/b/etc/resolv.conf", Sysfs: "/b/sys")
            )
        );
        Assert.Equal("bind", bound["type"]!.GetValue<string>());
        Assert.Equal("/b/sys", bound["source"]!.GetValue<string>());
        Assert.Contains("ro", bound["options"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.Contains("rbind", bound["options"]!.AsArray().Select(o => o!.GetValue<string>()));
    }

    [Fact]
    public void Net_sysctls_go_into_the_spec_only_for_a_namespace_the_runtime_makes_and_the_others_always()
    {
        var settings = new Hearth.Core.Services.ContainerSettings
        {
            Sysctls = new Dictionary<string, string>
            {
                ["net.core.somaxconn"] = "1024",
                ["kernel.sem"] = "250 32000 32 128",
            },
        };
        var own = Build(new OciDriverOptions(), null, settings)["linux"]!["sysctl"]!.AsObject();
        Assert.Equal(["kernel.sem", "net.core.somaxconn"], own.Select(p => p.Key).Order(StringComparer.Ordinal));
        // The agent writes net.* itself into a namespace it made (ContainerChecks): the container may not own it.
        var made = Build(
            new OciDriverOptions(),
            new NetworkPlan("/run/netns/x", "/b/etc/hosts", "/b/etc/resolv.conf"),
            settings
        );
        Assert.Equal(["kernel.sem"], made["linux"]!["sysctl"]!.AsObject().Select(p => p.Key));
        Assert.False(made["root"]!["readonly"]!.GetValue<bool>());
    }

    private static JsonObject Build(
        OciDriverOptions options,
        NetworkPlan? network,
        Hearth.Core.Services.ContainerSettings? settings = null
    ) =>
        new RuntimeSpecBuilder(options, new CgroupSupport()).Build(
            new SandboxSpec
            {
                SandboxId = "x",
                Command = ["true"],
                ScratchRoot = "/tmp",
                Container = settings,
            },
            Plan,
            "x",
            "/b/rootfs",
            network
        );

    private static List<string> Namespaces(JsonNode linux) =>
        linux["namespaces"]!.AsArray().Select(n => n!["type"]!.GetValue<string>()).ToList();

    private static JsonNode Sys(JsonObject config) =>
        config["mounts"]!.AsArray().Single(m => m!["destination"]!.GetValue<string>() == "/sys")!;
}
