using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary><c>--oci-allow-host-ports</c>'s values, and the fingerprint attribute that advertises them.</summary>
public sealed class HostPortRangeTests
{
    [Theory]
    [InlineData("5432", "5432/tcp")]
    [InlineData(" 8000-8100 ", "8000-8100/tcp")]
    [InlineData("53/udp", "53/udp")]
    [InlineData("53/UDP", "53/udp")]
    [InlineData("1-65535/tcp", "1-65535/tcp")]
    public void Ports_and_ranges_parse_tcp_unless_udp_is_given(string text, string canonical) =>
        Assert.Equal(canonical, HostPortRange.Parse(text).ToString());

    [Theory]
    [InlineData("0", "'0': expected a port from 1 to 65535")]
    [InlineData("70000", "'70000': expected a port")]
    [InlineData("8100-8000", "'8100-8000': expected a port")]
    [InlineData("http", "'http': expected a port")]
    [InlineData("53/sctp", "'53/sctp': the protocol must be tcp or udp")]
    [InlineData("+53", "'+53': expected a port")]
    public void Bad_values_say_which_and_why(string text, string message) =>
        Assert.StartsWith(message, Assert.Throws<FormatException>(() => HostPortRange.Parse(text)).Message);

    [Fact]
    public void A_list_is_comma_separated_and_none_is_empty()
    {
        Assert.Equal(
            ["5432/tcp", "8000-8100/tcp", "53/udp"],
            HostPortRange.ParseList("5432, 8000-8100,53/udp").Select(r => r.ToString())
        );
        Assert.Empty(HostPortRange.ParseList("none"));
        Assert.Empty(HostPortRange.ParseList(""));
    }

    [Fact]
    public void The_fingerprint_advertises_the_allowed_host_ports()
    {
        var store = new Images.ImageStore(
            new Images.ImageStoreOptions { RootDirectory = Tools.TempDirectory("hearth-fp") },
            new Registry.RegistryClient(
                new HttpClient(),
                new Registry.RegistryClientOptions(),
                new Registry.AnonymousCredentials(),
                TimeProvider.System
            ),
            TimeProvider.System
        );
        OciDriver Driver(IReadOnlyList<HostPortRange> ports) =>
            new(
                new OciDriverOptions
                {
                    Runtime = "runc",
                    Network = new OciNetworkOptions { AllowedHostPorts = ports },
                },
                store,
                TimeProvider.System
            );
        Assert.Equal("none", Driver([]).Fingerprint().Attributes["driver.oci.allow_host_ports"]);
        Assert.Equal(
            "5432/tcp,53/udp",
            Driver([HostPortRange.Parse("5432"), HostPortRange.Parse("53/udp")]).Fingerprint().Attributes[
                "driver.oci.allow_host_ports"
            ]
        );
    }
}
