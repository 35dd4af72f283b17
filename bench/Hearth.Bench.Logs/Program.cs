using System.Diagnostics;
using System.Text.Json;
using Hearth.Bench.Logs;

// The log path of issue 18, through real `hearth server` and `hearth agent` processes:
//   follow latency: a line written by a run → received by a follower of `GET /runs/{id}/logs?follow=true` (SSE), on the
//     server the agent reports to or on another server sharing the database (--servers 2, PostgreSQL);
//     floor: the same script's lines read straight from its stdout pipe by this process;
//   fetch: a 10 MB log printed whole by `hearth logs RUN` (the CLI users run); floor: `cat` of the same bytes;
//   ingest: lines per second into one task's log, every line stored (checked); floor: the same `seq` into /dev/null.
// Usage: Hearth.Bench.Logs sqlite | postgres "<connection string of an empty database>" [--servers N]
var driver = args.ElementAtOrDefault(0) ?? "sqlite";
var connectionString = driver == "postgres" ? args[1] : null;
var servers = args.SkipWhile(a => a != "--servers").Skip(1).Select(int.Parse).FirstOrDefault(1);
const int FollowLines = 400;
const string FollowScript = "i=0; while [ $i -lt 400 ]; do date +%s%N; sleep 0.02; i=$((i+1)); done";
const int FetchLines = 100_000;
const string FetchScript =
    "yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456 | head -n 100000";
const int IngestLines = 1_000_000;
const long ShortTaskWindowMs = 1200;

await using var cluster = await LogCluster.StartAsync(driver, connectionString, servers);
Console.WriteLine(
    $"driver={driver} servers={servers} cpus={Environment.ProcessorCount} "
        + $"hearth={Environment.GetEnvironmentVariable("HEARTH_BINARY") ?? "hearth.dll (JIT)"}"
);

// Warm-up: JIT, pools, the agent's first sandbox.
await cluster.WaitForEndAsync(await cluster.RunAsync("seq 1 1000"), TimeSpan.FromMinutes(1));

var floor = Percentiles(await PipeLatenciesAsync(FollowScript));
Console.WriteLine(
    $"follow floor (stdout pipe, {FollowLines} lines): p50 {floor.P50:F2} ms, p99 {floor.P99:F2} ms, max {floor.Max:F2} ms"
);
for (var server = 0; server < servers; server++)
{
    var runId = await cluster.RunAsync(FollowScript);
    var (window, latencies) = await FollowLatenciesAsync(cluster, server, runId);
    var p = Percentiles(latencies);
    var w = window.Count > 0 ? Percentiles(window) : (P50: 0d, P99: 0d, Max: 0d);
    Console.WriteLine(
        $"follow via server {server}{(server == 0 ? " (the agent's)" : " (another)")}, {latencies.Count} lines "
            + $"after the first {ShortTaskWindowMs} ms: p50 {p.P50:F2} ms, p99 {p.P99:F2} ms, max {p.Max:F2} ms; "
            + $"{window.Count} lines in it (held by the agent's short-task window): p50 {w.P50:F2} ms, max {w.Max:F2} ms"
    );
}

{
    var runId = await cluster.RunAsync(FetchScript);
    await cluster.WaitForEndAsync(runId, TimeSpan.FromMinutes(5));
    var fetch = await TimeCliAsync(cluster, ["logs", runId], FetchLines);
    var file = Path.GetTempFileName();
    await RunShellAsync($"{FetchScript} > {file}");
    var cat = await TimeAsync("cat", [file]);
    File.Delete(file);
    Console.WriteLine(
        $"fetch: `hearth logs` of {FetchLines} lines (10 MB) {fetch.TotalMilliseconds:F0} ms; "
            + $"floor `cat` of the same bytes {cat.TotalMilliseconds:F1} ms"
    );
}

{
    var clock = Stopwatch.StartNew();
    var runId = await cluster.RunAsync($"seq 1 {IngestLines}");
    var run = await cluster.WaitForEndAsync(runId, TimeSpan.FromMinutes(10));
    var wall = clock.Elapsed;
    var stored = run.GetProperty("log_lines").GetInt64();
    var ran = run.GetProperty("ended_at").GetDateTimeOffset() - run.GetProperty("started_at").GetDateTimeOffset();
    using var http = cluster.Client(0);
    var last = JsonDocument
        .Parse(await http.GetStringAsync($"api/v1/runs/{runId}/logs?from={IngestLines - 1}"))
        .RootElement;
    var lastText = last.GetProperty("lines")
        .EnumerateArray()
        .Select(l => l.GetProperty("text").GetString())
        .FirstOrDefault();
    if (stored != IngestLines || lastText != IngestLines.ToString())
    {
        Console.WriteLine(
            $"ingest: LINES LOST: {stored} of {IngestLines} stored, last '{lastText}' "
                + $"({ran.TotalSeconds:F2} s started → ended, status {run.GetProperty("status").GetString()})"
        );
        return;
    }
    var seq = await TimeAsync("sh", ["-c", $"seq 1 {IngestLines} > /dev/null"]);
    Console.WriteLine(
        $"ingest: {IngestLines} lines, all stored: {IngestLines / ran.TotalSeconds:F0} lines/s over the run "
            + $"({ran.TotalSeconds:F2} s started → ended), {IngestLines / wall.TotalSeconds:F0} lines/s submit → stored; "
            + $"floor `seq` alone {seq.TotalMilliseconds:F0} ms"
    );
}

// The agent holds a task's lines for its first second (AgentOptions.RunningReportDelay), so that a task ending in it
// costs a lease and a result only; lines written then are measured apart, with a margin.
static async Task<(List<double> Window, List<double> After)> FollowLatenciesAsync(
    LogCluster cluster,
    int server,
    string runId
)
{
    using var http = cluster.Client(server);
    using var response = await http.GetAsync(
        $"api/v1/runs/{runId}/logs?follow=true",
        HttpCompletionOption.ResponseHeadersRead
    );
    response.EnsureSuccessStatusCode();
    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
    var latencies = new List<double>();
    var window = new List<double>();
    long? first = null;
    var seen = 0;
    while (await reader.ReadLineAsync() is { } line)
    {
        if (line.StartsWith("event: end", StringComparison.Ordinal))
            break;
        if (!line.StartsWith("data: ", StringComparison.Ordinal))
            continue;
        var received = NowNanoseconds();
        var text = JsonDocument.Parse(line.AsMemory(6)).RootElement.GetProperty("text").GetString();
        if (!long.TryParse(text, out var written))
            continue;
        first ??= written;
        // The first lines may have been written before the follower connected: they measure the backlog, not a push.
        if (++seen <= 10)
            continue;
        (written - first < ShortTaskWindowMs * 1_000_000 ? window : latencies).Add((received - written) / 1e6);
    }
    return (window, latencies);
}

static async Task<List<double>> PipeLatenciesAsync(string script)
{
    var info = new ProcessStartInfo("sh", ["-c", script]) { RedirectStandardOutput = true };
    using var process = Process.Start(info)!;
    var latencies = new List<double>();
    var seen = 0;
    while (await process.StandardOutput.ReadLineAsync() is { } line)
    {
        var received = NowNanoseconds();
        if (++seen <= 10 || !long.TryParse(line, out var written))
            continue;
        latencies.Add((received - written) / 1e6);
    }
    await process.WaitForExitAsync();
    return latencies;
}

static long NowNanoseconds() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

static (double P50, double P99, double Max) Percentiles(List<double> values)
{
    var sorted = values.Order().ToList();
    double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    return (At(0.50), At(0.99), sorted[^1]);
}

static async Task<TimeSpan> TimeCliAsync(LogCluster cluster, string[] args, int expectedLines)
{
    var binary = Environment.GetEnvironmentVariable("HEARTH_BINARY");
    var info = new ProcessStartInfo(binary ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    if (binary is null)
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hearth.dll"));
    foreach (var arg in args)
        info.ArgumentList.Add(arg);
    info.Environment["HEARTH_SERVER"] = cluster.Urls[0];
    info.Environment["HEARTH_API_KEY"] = cluster.AdminKey;
    var clock = Stopwatch.StartNew();
    using var process = Process.Start(info)!;
    var lines = 0;
    while (await process.StandardOutput.ReadLineAsync() is not null)
        lines++;
    await process.WaitForExitAsync();
    var elapsed = clock.Elapsed;
    if (process.ExitCode != 0 || lines != expectedLines)
        throw new InvalidOperationException(
            $"hearth {string.Join(' ', args)}: exit {process.ExitCode}, {lines} lines "
                + $"(expected {expectedLines}): {await process.StandardError.ReadToEndAsync()}"
        );
    return elapsed;
}

static async Task<TimeSpan> TimeAsync(string program, string[] args)
{
    var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true };
    var clock = Stopwatch.StartNew();
    using var process = Process.Start(info)!;
    await process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    await process.WaitForExitAsync();
    return clock.Elapsed;
}

static async Task RunShellAsync(string script)
{
    using var process = Process.Start(new ProcessStartInfo("sh", ["-c", script]))!;
    await process.WaitForExitAsync();
}
