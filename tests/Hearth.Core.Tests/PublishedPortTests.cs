using Hearth.Core.Runs;

namespace Hearth.Core.Tests;

public sealed class PublishedPortTests
{
    [Theory]
    [InlineData("8080:80", "0.0.0.0", 8080, 80, "tcp")]
    [InlineData("127.0.0.1:8080:80", "127.0.0.1", 8080, 80, "tcp")]
    [InlineData("5353:53/udp", "0.0.0.0", 5353, 53, "udp")]
    public void Docker_short_syntax_is_read(string text, string ip, int host, int container, string protocol)
    {
        Assert.True(PublishedPort.TryParse(text, out var port, out var error), error);
        Assert.Equal(new PublishedPort(ip, host, container, protocol), port);
    }

    [Theory]
    [InlineData("80", "expected [HOST_IP:]HOST_PORT:CONTAINER_PORT")]
    [InlineData("70000:80", "ports must be numbers from 1 to 65535")]
    [InlineData("localhost:80:80", "'localhost' is not an IPv4 address")]
    [InlineData("80:80/sctp", "protocol 'sctp' is not tcp or udp")]
    public void Bad_mappings_say_what_was_expected(string text, string message)
    {
        Assert.False(PublishedPort.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }
}
