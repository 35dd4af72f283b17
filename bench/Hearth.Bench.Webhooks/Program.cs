// Webhook receiver throughput: verified, persisted deliveries per second and their latency, against a real server (in
// this process, SQLite store in a temp directory, Kestrel on loopback) and a real git repository over file://. dotnet
// run -c Release --project bench/Hearth.Bench.Webhooks -- [requests] [concurrency] [rounds] [postgres connection
// string] (bench/webhooks.sh runs it on SQLite and on a throwaway PostgreSQL, for several built trees one after the
// other.) Three kinds of request, each round: GET /health (the HTTP floor), ignored deliveries (verified + recorded,
// nothing started), and push deliveries that start a workflow run each (verified, the commit fetched from the clone
// cache, the workflow read and matched, delivery + run in one transaction). A warm-up of each kind first, not reported;
// then ROUNDS rounds of REQUESTS of each kind, and the median of the rounds, with the rates as ratios to the floor.
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
var rounds = args.Length > 2 ? int.Parse(args[2]) : 5;
var postgres = args.Length > 3 ? args[3] : null;
const string secret = "bench-secret";
var dir = Directory.CreateTempSubdirectory("hearth-bench-hooks-").FullName;
try
{
    var repo = Path.Combine(dir, "repo");
    Git(dir, "init", "-q", "-b", "main", repo);
    Directory.CreateDirectory(Path.Combine(repo, ".hearth"));
    File.WriteAllText(
        Path.Combine(repo, ".hearth", "ci.kdl"),
        "version \"0.1\"\ntriggers { push { branches \"main\" } }\nchain {\n    machine \"ci\"\n    fragment { run \"true\" }\n}\n"
    );
    Git(repo, "add", ".");
    Git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "ci");
    var sha = Git(repo, "rev-parse", "HEAD").Trim();

    var options = new ServerOptions
    {
        Listen = "127.0.0.1:0",
        DataDir = Path.Combine(dir, "server"),
        StoreDriver = postgres is null ? "sqlite" : "postgres",
        StoreConnectionString = postgres,
    };
    options = options with
    {
        Access = options.Access with { RequestsPerMinutePerIp = 10_000_000, RequestsPerMinutePerKey = 10_000_000 },
    };
    await using var server = await HearthServer.StartAsync(
        options,
        CancellationToken.None,
        logLevel: Microsoft.Extensions.Logging.LogLevel.Warning
    );
    var credentials = (
        await Bootstrap.EnsureAsync(server.Access, TimeProvider.System, new IdGenerator(), CancellationToken.None)
    )!;
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency })
    {
        BaseAddress = server.Url,
    };
    var admin = new HttpRequestMessage(HttpMethod.Post, "api/v1/repos")
    {
        Content = JsonContent.Create(
            new RepositoryBody("bench", "github", new Uri(repo).AbsoluteUri, secret, Workflows: [".hearth/ci.kdl"]),
            HearthJson.Options.GetTypeInfo(typeof(RepositoryBody))
        ),
    };
    admin.Headers.Add("X-API-Key", credentials.AdminKey);
    (await http.SendAsync(admin)).EnsureSuccessStatusCode();

    // The group-commit writer's own figures (batch size, time per transaction), per round.
    long batches = 0,
        batched = 0;
    double writeSeconds = 0;
    using var listener = new System.Diagnostics.Metrics.MeterListener();
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (
            instrument.Meter.Name == Hearth.Server.Telemetry.HearthMetrics.MeterName
            && instrument.Name.StartsWith("hearth_webhook_batch_")
        )
            l.EnableMeasurementEvents(instrument);
    };
    listener.SetMeasurementEventCallback<long>(
        (_, value, _, _) =>
        {
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref batched, value);
        }
    );
    listener.SetMeasurementEventCallback<double>(
        (_, value, _, _) =>
        {
            lock (listener)
                writeSeconds += value;
        }
    );
    listener.Start();

    var push = Encoding.UTF8.GetBytes(
        $$"""{"ref":"refs/heads/main","after":"{{sha}}","head_commit":{"id":"{{sha}}"},"commits":[]}"""
    );
    var release = Encoding.UTF8.GetBytes("""{"action":"published","release":{"tag_name":"v1"}}""");
    var mac = (byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    // A warm-up of every kind (JIT, connection pools, caches; not reported), then ROUNDS rounds of the three kinds
    // interleaved, so a change in the machine's load falls on all three alike; each figure is the median of the rounds.
    await RoundAsync("warm-up", total / 4, i => new HttpRequestMessage(HttpMethod.Get, "health"), 200);
    await RoundAsync("warm-up", total / 4, i => Delivery("release", $"wr-{i}", release), 202);
    await RoundAsync("warm-up", total / 4, i => Delivery("push", $"wp-{i}", push), 201);
    var kinds = new (string Name, Func<int, int, HttpRequestMessage> Make, int Expected)[]
    {
        ("floor: GET /health", (_, _) => new HttpRequestMessage(HttpMethod.Get, "health"), 200),
        ("ignored (verified, recorded, 202)", (r, i) => Delivery("release", $"r{r}-{i}", release), 202),
        ("push (verified, matched, delivery + run, 201)", (r, i) => Delivery("push", $"p{r}-{i}", push), 201),
    };
    // HEARTH_BENCH_ONLY=push (or ignored) runs only that kind beside the floor: a profiler attached sees it alone.
    var only = Environment.GetEnvironmentVariable("HEARTH_BENCH_ONLY");
    var figures = kinds.Select(_ => new List<Figure>()).ToArray();
    for (var round = 0; round < rounds; round++)
    {
        for (var k = 0; k < kinds.Length; k++)
        {
            var (name, make, expected) = kinds[k];
            if (k > 0 && only is { Length: > 0 } && !name.StartsWith(only, StringComparison.Ordinal))
                continue;
            var r = round;
            figures[k].Add(await RoundAsync($"round {round + 1}, {name}", total, i => make(r, i), expected));
        }
    }
    Console.WriteLine($"median of {rounds} rounds, {total} requests each, {concurrency} clients:");
    var floor = Median(figures[0], f => f.PerSecond);
    for (var k = 0; k < kinds.Length; k++)
    {
        if (figures[k].Count == 0)
            continue;
        var rate = Median(figures[k], f => f.PerSecond);
        Console.WriteLine(
            $"  {kinds[k].Name}: {rate:0}/s ({figures[k].Min(f => f.PerSecond):0}-{figures[k].Max(f => f.PerSecond):0}), "
                + $"p50 {Median(figures[k], f => f.P50):0.0} ms, p99 {Median(figures[k], f => f.P99):0.0} ms, "
                + $"CPU {Median(figures[k], f => f.Cpu):0.00} ms per request; "
                + $"{rate / floor:0.00}x the floor; unexpected status {figures[k].Sum(f => f.Failures)}"
        );
    }

    HttpRequestMessage Delivery(string @event, string id, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/github/bench")
        {
            Content = new ByteArrayContent(body),
        };
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add("X-Hub-Signature-256", mac(body));
        return request;
    }

    async Task<Figure> RoundAsync(string name, int count, Func<int, HttpRequestMessage> make, int expected)
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var latencies = new double[count];
        (batches, batched, writeSeconds) = (0, 0, 0);
        var next = -1;
        var failures = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(
            Enumerable
                .Range(0, concurrency)
                .Select(async _ =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count)
                    {
                        var start = Stopwatch.GetTimestamp();
                        using var response = await http.SendAsync(make(i));
                        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        if ((int)response.StatusCode != expected)
                            Interlocked.Increment(ref failures);
                    }
                })
        );
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuPerRequest = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / count;
        Array.Sort(latencies);
        var figure = new Figure(
            count / seconds,
            latencies[count / 2],
            latencies[(int)(count * 0.99)],
            failures,
            cpuPerRequest
        );
        Console.WriteLine(
            $"{name} (load {load} before): {count} in {seconds:0.00} s = {figure.PerSecond:0} /s; p50 {figure.P50:0.0} ms, "
                + $"p99 {figure.P99:0.0} ms, max {latencies[^1]:0.0} ms; CPU {cpuPerRequest:0.00} ms per request "
                + $"(server and clients); unexpected status {failures}"
                + (
                    batches == 0
                        ? ""
                        : $"; writer: {batches} transactions of {(double)batched / batches:0.0} deliveries, "
                            + $"{writeSeconds * 1000 / batches:0.0} ms each, busy {writeSeconds / seconds:0%}"
                )
        );
        return figure;
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static double Median(List<Figure> figures, Func<Figure, double> of)
{
    var sorted = figures.Select(of).Order().ToList();
    return sorted.Count % 2 == 1
        ? sorted[sorted.Count / 2]
        : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Git(string cwd, params string[] args)
{
    var start = new ProcessStartInfo("git")
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        WorkingDirectory = cwd,
    };
    foreach (var arg in args)
        start.ArgumentList.Add(arg);
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    return process.ExitCode == 0
        ? output
        : throw new InvalidOperationException($"git {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
}

internal sealed record Figure(double PerSecond, double P50, double P99, int Failures, double Cpu);
