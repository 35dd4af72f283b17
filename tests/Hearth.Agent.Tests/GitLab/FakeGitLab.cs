using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// GitLab's runner API (/api/v4) as GitLab documents it, on loopback, recording what the runner sends: runners/verify
/// (200 for the known runner token, 403 else), jobs/request (201 with a queued job, 204 without), PATCH jobs/:id/trace
/// (the job token; Content-Range must start where the trace ends, else 416 with Range: 0-LENGTH; 202 with Range,
/// Job-Status and X-GitLab-Trace-Update-Interval), PUT jobs/:id (the job token; 200 with Job-Status), POST
/// jobs/:id/artifacts (the job token; a multipart <c>file</c>; 201, 413 past <see cref="MaxArtifactsBytes"/>) and GET
/// jobs/:id/artifacts (the token of the job whose artifacts they are; 200 with the zip, 403, 404).
/// </summary>
public sealed class FakeGitLab : IAsyncDisposable
{
    public const string RunnerToken = "glrt-fake-runner-token";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonObject> _queue = new();
    private readonly ConcurrentDictionary<long, Job> _jobs = new();

    public sealed record Patch(long Start, long End, byte[] Bytes, int Status);

    public sealed record Update(string State, string? FailureReason, int? ExitCode, string? Checksum, long? Bytesize);

    /// <summary>A POST /jobs/:id/artifacts as it came: its JOB-TOKEN, its parameters (query and form, as GitLab reads
    /// both), the multipart field its file came in, the file's name and bytes, and the status answered.</summary>
    public sealed record ArtifactsUpload(
        long JobId,
        string? JobToken,
        IReadOnlyDictionary<string, string> Parameters,
        string? FileField,
        string? FileName,
        byte[] Bytes,
        int Status
    );

    /// <summary>A GET /jobs/:id/artifacts as it came: the JOB-TOKEN it carried and the status answered.</summary>
    public sealed record ArtifactsDownload(long JobId, string? JobToken, int Status);

    public sealed class Job(string token)
    {
        public string Token { get; } = token;
        public MemoryStream Trace { get; } = new();
        public List<Patch> Patches { get; } = [];
        public List<Update> Updates { get; } = [];
        public string Status { get; set; } = "running";

        /// <summary>Set: the next patch is answered 416 after the trace was cut back to this many bytes.</summary>
        public long? LoseTraceTo { get; set; }
        public Update? Final => Updates.LastOrDefault(u => u.State != "running");
        public string TraceText => Encoding.UTF8.GetString(Trace.ToArray());
    }

    private FakeGitLab(WebApplication app) => _app = app;

    public Uri Url =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Uploads larger than this are answered 413, as GitLab does past its maximum artifacts size.</summary>
    public long MaxArtifactsBytes { get; set; } = long.MaxValue;

    public ConcurrentQueue<ArtifactsUpload> Uploads { get; } = new();
    public ConcurrentQueue<ArtifactsDownload> Downloads { get; } = new();
    private readonly ConcurrentDictionary<long, (string Token, byte[] Zip)> _artifacts = new();

    /// <summary>
    /// Artifacts of a job that ran before (a dependency of a job to come), downloadable with its token.
    /// </summary>
    public void AddArtifacts(long jobId, string token, byte[] zip) => _artifacts[jobId] = (token, zip);

    public int JobRequests;
    public int VerifyRequests;

    public Job? JobOf(long id) => _jobs.GetValueOrDefault(id);

    public void Enqueue(JsonObject job) => _queue.Enqueue(job);

    public static async Task<FakeGitLab> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeGitLab(app);
        app.MapPost("/api/v4/runners/verify", async (HttpContext http) =>
        {
            Interlocked.Increment(ref fake.VerifyRequests);
            var body = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!;
            if ((string?)body["token"] != RunnerToken)
                return Results.StatusCode(403);
            return Results.Text(
                """{"id":7,"token":"glrt-fake-runner-token","token_expires_at":null}""",
                "application/json",
                Encoding.UTF8,
                200
            );
        });
        app.MapPost("/api/v4/jobs/request", async (HttpContext http) =>
        {
            Interlocked.Increment(ref fake.JobRequests);
            var body = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!;
            if ((string?)body["token"] != RunnerToken)
                return Results.StatusCode(403);
            if (body["info"]?["features"] is null)
                return Results.StatusCode(400);
            http.Response.Headers["X-GitLab-Last-Update"] = "fake-cursor";
            if (!fake._queue.TryDequeue(out var job))
                return Results.StatusCode(204);
            fake._jobs[(long)job["id"]!] = new Job((string)job["token"]!);
            return Results.Text(job.ToJsonString(), "application/json", Encoding.UTF8, 201);
        });
        app.MapMethods("/api/v4/jobs/{id:long}/trace", ["PATCH"], async (HttpContext http, long id) =>
        {
            if (fake.JobOf(id) is not { } job)
                return Results.StatusCode(404);
            if (http.Request.Headers["JOB-TOKEN"] != job.Token)
                return Results.StatusCode(403);
            var bytes = await ReadAllAsync(http.Request.Body);
            var range = http.Request.Headers["Content-Range"].ToString().Split('-');
            var start = long.Parse(range[0], CultureInfo.InvariantCulture);
            var end = long.Parse(range[1], CultureInfo.InvariantCulture);
            lock (job)
            {
                http.Response.Headers["Job-Status"] = job.Status;
                http.Response.Headers["X-GitLab-Trace-Update-Interval"] = "1";
                if (job.LoseTraceTo is { } cut && job.Trace.Length > cut)
                {
                    job.Trace.SetLength(cut);
                    job.LoseTraceTo = null;
                }
                if (job.Status is "canceled" or "success" or "failed")
                {
                    job.Patches.Add(new Patch(start, end, bytes, 403));
                    return Results.StatusCode(403);
                }
                if (start != job.Trace.Length || end != start + bytes.Length - 1)
                {
                    job.Patches.Add(new Patch(start, end, bytes, 416));
                    http.Response.Headers["Range"] = $"0-{job.Trace.Length}";
                    return Results.StatusCode(416);
                }
                job.Trace.Position = job.Trace.Length;
                job.Trace.Write(bytes);
                job.Patches.Add(new Patch(start, end, bytes, 202));
                http.Response.Headers["Range"] = $"0-{job.Trace.Length}";
                return Results.StatusCode(202);
            }
        });
        app.MapPut("/api/v4/jobs/{id:long}", async (HttpContext http, long id) =>
        {
            if (fake.JobOf(id) is not { } job)
                return Results.StatusCode(404);
            var body = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!;
            if ((string?)body["token"] != job.Token || http.Request.Headers["JOB-TOKEN"] != job.Token)
                return Results.StatusCode(403);
            lock (job)
            {
                var update = new Update(
                    (string)body["state"]!,
                    (string?)body["failure_reason"],
                    (int?)body["exit_code"],
                    (string?)body["output"]?["checksum"],
                    (long?)body["output"]?["bytesize"]
                );
                job.Updates.Add(update);
                if (update.State is "success" or "failed" or "canceled")
                    job.Status = update.State;
                http.Response.Headers["Job-Status"] = job.Status;
                return Results.StatusCode(200);
            }
        });
        app.MapPost("/api/v4/jobs/{id:long}/artifacts", async (HttpContext http, long id) =>
        {
            var token = http.Request.Headers["JOB-TOKEN"].FirstOrDefault();
            var parameters = http.Request.Query.ToDictionary(
                q => q.Key,
                q => q.Value.ToString(),
                StringComparer.Ordinal
            );
            if (!http.Request.HasFormContentType)
                return Record(400, null, null, []);
            var form = await http.Request.ReadFormAsync();
            foreach (var (key, value) in form)
                parameters[key] = value.ToString();
            var file = form.Files.Count == 1 ? form.Files[0] : null;
            var bytes = file is null ? [] : await ReadAllAsync(file.OpenReadStream());
            if (fake.JobOf(id) is not { } job)
                return Record(404, file?.Name, file?.FileName, bytes);
            if (token != job.Token)
                return Record(403, file?.Name, file?.FileName, bytes);
            if (file?.Name != "file")
                return Record(400, file?.Name, file?.FileName, bytes);
            if (bytes.Length > fake.MaxArtifactsBytes)
                return Record(413, file.Name, file.FileName, bytes);
            fake._artifacts[id] = (job.Token, bytes);
            return Record(201, file.Name, file.FileName, bytes);

            IResult Record(int status, string? field, string? name, byte[] content)
            {
                fake.Uploads.Enqueue(new ArtifactsUpload(id, token, parameters, field, name, content, status));
                return status == 201
                    ? Results.Text("{\"id\":" + id + ",\"status\":\"running\"}", "application/json", Encoding.UTF8, 201)
                    : Results.StatusCode(status);
            }
        });
        app.MapGet("/api/v4/jobs/{id:long}/artifacts", (HttpContext http, long id) =>
        {
            var token = http.Request.Headers["JOB-TOKEN"].FirstOrDefault();
            var status =
                !fake._artifacts.TryGetValue(id, out var stored) ? 404
                : token != stored.Token ? 403
                : 200;
            fake.Downloads.Enqueue(new ArtifactsDownload(id, token, status));
            return status == 200 ? Results.Bytes(stored.Zip, "application/zip") : Results.StatusCode(status);
        });
        await app.StartAsync();
        return fake;
    }

    /// <summary>
    /// Cancels the job as GitLab does: its status becomes canceling, which the runner hears in its next answer.
    /// </summary>
    public void Cancel(long id)
    {
        var job = JobOf(id)!;
        lock (job)
            job.Status = "canceling";
    }

    private static async Task<byte[]> ReadAllAsync(Stream body)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
