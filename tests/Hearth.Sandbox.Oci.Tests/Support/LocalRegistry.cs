using System.Diagnostics;

namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>A real docker-registry on a free loopback port with a temporary storage directory.</summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private LocalRegistry(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    public Uri BaseUri => new($"http://{Host}/");

    public static async Task<LocalRegistry> StartAsync()
    {
        var directory = Tools.TempDirectory("hearth-registry");
        var port = Tools.FreePort();
        var config = Path.Combine(directory, "config.yml");
        await File.WriteAllTextAsync(
            config,
            $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            """
        );
        var start = new ProcessStartInfo("docker-registry")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new LocalRegistry(process, directory, port);
        using var http = new HttpClient();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(registry.BaseUri, "v2/"));
                if (response.IsSuccessStatusCode)
                    return registry;
            }
            catch (HttpRequestException) { }
            await Task.Delay(50);
        }
        await registry.DisposeAsync();
        throw new InvalidOperationException("docker-registry did not start");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
