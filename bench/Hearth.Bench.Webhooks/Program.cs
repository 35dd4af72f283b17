// Webhook receiver throughput: verified, persisted deliveries per second and their latency, against a real server
// (in this process, SQLite store in a temp directory, Kestrel on loopback) and a real git repository over file://.
//   dotnet run -c Release --project bench/Hearth.Bench.Webhooks -- [deliveries] [concurrency] [postgres connection string]
// (bench/webhooks.sh runs it on SQLite and on a throwaway PostgreSQL, for several built trees one after the other.)
// Three rounds in one run: GET /health (the HTTP floor), ignored deliveries (verified + recorded, nothing started),
// and push deliveries that start a workflow run each (verified, the commit fetched from the clone cache, the workflow
// read and matched, delivery + run in one transaction).
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;

var total = args.Length > 0 ? int.Parse(args[0]) : 2000;
var concurrency = args.Length > 1 ? int.Parse(args[1]) : 16;
var postgres = args.Length > 2 ? args[2] : null;
const string secret = "bench-secret";
var dir = Directory.CreateTempSubdirectory("hearth-bench-hooks-").FullName;
try
{
    var repo = Path.Combine(dir, "repo");
    Git(dir, "init", "-q", "-b", "main", repo);
    Directory.CreateDirectory(Path.Combine(repo, ".hearth"));
    File.WriteAllText(Path.Combine(repo, ".hearth", "ci.kdl"),
        "version \"0.1\"\ntriggers { push { branches \"main\" } }\nchain {\n    machine \"ci\"\n    fragment { run \"true\" }\n}\n");
    Git(repo, "add", ".");
    Git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "ci");
    var sha = Git(repo, "rev-parse", "HEAD").Trim();

    var options = new ServerOptions
    {
        Listen = "127.0.0.1:0", DataDir = Path.Combine(dir, "server"),
        StoreDriver = postgres is null ? "sqlite" : "postgres", StoreConnectionString = postgres,
    };
    options = options with { Access = options.Access with { RequestsPerMinutePerIp = 10_000_000, RequestsPerMinutePerKey = 10_000_000 } };
    await using var server = await HearthServer.StartAsync(options, CancellationToken.None, logLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
    var credentials = (await Bootstrap.EnsureAsync(server.Access, TimeProvider.System, new IdGenerator(), CancellationToken.None))!;
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = server.Url };
    var admin = new HttpRequestMessage(HttpMethod.Post, "api/v1/repos")
    {
        Content = JsonContent.Create(new RepositoryBody("bench", "github", new Uri(repo).AbsoluteUri, secret, Workflows: [".hearth/ci.kdl"]),
            HearthJson.Options.GetTypeInfo(typeof(RepositoryBody))),
    };
    admin.Headers.Add("X-API-Key", credentials.AdminKey);
    (await http.SendAsync(admin)).EnsureSuccessStatusCode();

    var push = Encoding.UTF8.GetBytes($$"""{"ref":"refs/heads/main","after":"{{sha}}","head_commit":{"id":"{{sha}}"},"commits":[]}""");
    var release = Encoding.UTF8.GetBytes("""{"action":"published","release":{"tag_name":"v1"}}""");
    var mac = (byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    await RoundAsync("GET /health (floor)", total, _ => new HttpRequestMessage(HttpMethod.Get, "health"), 200);
    await RoundAsync("ignored deliveries (verified, recorded)", total, i => Delivery("release", $"r-{i}", release), 202);
    await RoundAsync("push deliveries (verified, fetched, matched, delivery + run)", total / 4, i => Delivery("push", $"p-{i}", push), 201);

    HttpRequestMessage Delivery(string @event, string id, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/github/bench") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add("X-Hub-Signature-256", mac(body));
        return request;
    }

    async Task RoundAsync(string name, int count, Func<int, HttpRequestMessage> make, int expected)
    {
        for (var i = 0; i < Math.Min(50, count); i++) (await http.SendAsync(make(-i - 1))).Dispose(); // warm-up, ids apart
        var latencies = new double[count];
        var next = -1;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(make(i));
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if ((int)response.StatusCode != expected) Interlocked.Increment(ref failures);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        Console.WriteLine($"{name}: {count} in {seconds:0.00} s = {count / seconds:0} /s; p50 {latencies[count / 2]:0.0} ms, " +
                          $"p99 {latencies[(int)(count * 0.99)]:0.0} ms, max {latencies[^1]:0.0} ms; unexpected status {failures}");
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static string Git(string cwd, params string[] args)
{
    var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
    foreach (var arg in args) start.ArgumentList.Add(arg);
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
}
