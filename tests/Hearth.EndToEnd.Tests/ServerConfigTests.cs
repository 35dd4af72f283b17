using System.Net;
using System.Net.Sockets;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// `hearth server`: HEARTH_&lt;KEY&gt; variables win over the config file key by key, and a bad one is named.
/// </summary>
public sealed class ServerConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-e2e-config-").FullName;

    private string Config => Path.Combine(_dir, "server.yaml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Env(string name, string value) => new() { [name] = value };

    [Fact]
    public async Task Hearth_variables_override_the_config_file_key_by_key_and_a_bad_one_is_named()
    {
        var filePort = FreePort();
        var variablePort = FreePort();
        await File.WriteAllTextAsync(
            Config,
            $"listen: 127.0.0.1:{filePort}\ndata_dir: {_dir}/data\nleases:\n  ttl: 10s\n  heartbeat: 2s\n"
        );

        // A nested key from the environment meets the file's other key of the same section.
        var shorter = await CliProcess.RunAsync(["server", "--config", Config], Env("HEARTH_LEASES_TTL", "1s"));
        Assert.Equal(2, shorter.ExitCode);
        Assert.Contains($"{Config}: leases.heartbeat (2s) must be shorter than leases.ttl (1s)", shorter.Stderr);

        var bad = await CliProcess.RunAsync(["server", "--config", Config], Env("HEARTH_LEASES_TTL", "soon"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("environment variable HEARTH_LEASES_TTL: 'soon' is not a positive duration", bad.Stderr);

        // listen from the variable, data_dir from the file.
        await using var server = new RunningProcess(
            CliProcess.StartInfo(["server", "--config", Config], Env("HEARTH_LISTEN", $"127.0.0.1:{variablePort}"))
        );
        await server.WaitForAsync(
            o => o.Contains($"listening on http://127.0.0.1:{variablePort}"),
            TimeSpan.FromSeconds(60),
            "the server to listen"
        );
        Assert.True(File.Exists(Path.Combine(_dir, "data", "hearth.db")), "the store is not in the file's data_dir");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{variablePort}/health")).StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{filePort}/health"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
