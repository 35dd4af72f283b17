using System.Net;
using System.Net.Sockets;
using System.Text;
using Hearth.Core.Api;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The real agent binary against a server that does not speak its protocol version: it prints the server's words and
/// exits 1, instead of retrying forever. No Hearth release speaks another version yet, so the server is played by a
/// loopback listener that answers every call as a server speaking only protocol 4 would (the refusal a real server
/// sends is tested in Hearth.Server.Tests).
/// </summary>
public sealed class AgentProtocolVersionTests
{
    private const string Refusal =
        "this agent speaks agent protocol '3', but this server (hearth 9.0.0) speaks agent protocol 4 only: "
        + "upgrade the agent to the server's release";

    [Fact]
    public async Task An_agent_whose_protocol_the_server_does_not_speak_prints_the_servers_words_and_exits_1()
    {
        var work = Directory.CreateTempSubdirectory("hearth-e2e-protocol-").FullName;
        using var server = ProtocolFourServer.Start();
        try
        {
            var result = await CliProcess.RunAsync(
                [
                    "agent",
                    "--name",
                    "v2",
                    "--drivers",
                    "bubblewrap",
                    "--scratch",
                    Path.Combine(work, "scratch"),
                    "--state-dir",
                    Path.Combine(work, "state"),
                ],
                new Dictionary<string, string>
                {
                    ["HEARTH_SERVER"] = server.Url,
                    ["HEARTH_AGENT_TOKEN"] = "ha_any",
                    ["XDG_CONFIG_HOME"] = Path.Combine(work, "config"),
                    ["XDG_DATA_HOME"] = Path.Combine(work, "share"),
                },
                TimeSpan.FromSeconds(60)
            );

            Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
            Assert.Equal($"hearth: the server at {server.Url}/ refused this agent: {Refusal}\n", result.Stderr);
            Assert.Equal([AgentProtocolVersion.Current.ToString()], server.VersionsSent.Distinct());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Answers every request 400 AGENT_PROTOCOL_UNSUPPORTED and records the version each one named.</summary>
    private sealed class ProtocolFourServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _serving;

        private ProtocolFourServer(int port)
        {
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public string Url { get; }
        public List<string> VersionsSent { get; } = [];

        public static ProtocolFourServer Start()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new ProtocolFourServer(port);
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                lock (VersionsSent)
                    VersionsSent.Add(context.Request.Headers["Hearth-Agent-Protocol"] ?? "(none)");
                var body = Encoding.UTF8.GetBytes(
                    "{\"error\":\""
                        + Refusal
                        + "\",\"code\":\"AGENT_PROTOCOL_UNSUPPORTED\",\"details\":{\"sent\":\"3\",\"supported\":[4]}}"
                );
                context.Response.StatusCode = 400;
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
