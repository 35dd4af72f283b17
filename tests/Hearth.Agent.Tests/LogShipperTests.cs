using System.Net.Http.Json;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Agent.Tests;

/// <summary>
/// The shipper against a real server: a line goes out as soon as nothing is in flight, lines that come while a chunk is
/// in flight go together once it is answered, and every line is stored once, in order. The shipper's clock is a
/// <see cref="FakeTimeProvider"/> that never moves, so no timer can be what sends a chunk.
/// </summary>
public sealed class LogShipperTests
{
    [Fact]
    public async Task A_line_written_while_nothing_is_in_flight_is_shipped_at_once()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var gate = new ChunkGate(open: true);
        var (api, lease, http) = await LeaseAsync(harness, gate);
        using var _ = http;
        var shipper = Shipper(api, lease);

        await shipper.WriteAsync(LogStream.Stdout, "first", CancellationToken.None);
        await AgentHarness.UntilAsync(
            async () => (await harness.LinesAsync(lease.RunId)).Contains("first"),
            "the line stored"
        );
        await shipper.WriteAsync(LogStream.Stdout, "second", CancellationToken.None);
        await AgentHarness.UntilAsync(
            async () => (await harness.LinesAsync(lease.RunId)).Contains("second"),
            "the next line stored"
        );

        await shipper.FlushAndCloseAsync(CancellationToken.None);
        Assert.Equal([1, 1], gate.Chunks.Select(c => c.Lines.Count));
    }

    [Fact]
    public async Task Lines_written_while_a_chunk_is_in_flight_go_together_capped_in_order_and_once()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var gate = new ChunkGate(open: false);
        var (api, lease, http) = await LeaseAsync(harness, gate);
        using var _ = http;
        var shipper = Shipper(api, lease);

        await shipper.WriteAsync(LogStream.Stdout, "0", CancellationToken.None);
        await gate.FirstArrived.WaitAsync(AgentHarness.Timeout);
        const int Lines = 2 * LogShipper.MaxChunkLines + 500;
        for (var i = 1; i < Lines; i++)
            await shipper.WriteAsync(LogStream.Stdout, i.ToString(), CancellationToken.None);
        gate.Open();
        var held = await shipper.FlushAndCloseAsync(CancellationToken.None).WaitAsync(AgentHarness.Timeout);

        Assert.Empty(held);
        Assert.Equal(
            [1, LogShipper.MaxChunkLines, LogShipper.MaxChunkLines, Lines - 1 - 2 * LogShipper.MaxChunkLines],
            gate.Chunks.Select(c => c.Lines.Count)
        );
        Assert.Equal(
            [0, 1, 1 + LogShipper.MaxChunkLines, 1 + 2 * LogShipper.MaxChunkLines],
            gate.Chunks.Select(c => c.Offset)
        );
        var stored = new List<LogLineView>();
        while (stored.Count < Lines)
        {
            var page = await harness.Admin.GetFromJsonAsync<LogPageView>(
                $"api/v1/runs/{lease.RunId}/logs?from={stored.Count}&limit=10000",
                HearthJson.Options
            );
            Assert.NotEmpty(page!.Lines);
            stored.AddRange(page.Lines);
        }
        Assert.Equal(Enumerable.Range(0, Lines).Select(i => i.ToString()), stored.Select(l => l.Text));
        Assert.Equal(Enumerable.Range(0, Lines).Select(i => (long)i), stored.Select(l => l.Seq));
    }

    private const string Secret = "s3cr3t-0123456789abcdef";

    [Fact]
    public async Task A_secret_written_in_two_pieces_is_masked_whole_the_first_piece_waits_for_the_second()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var gate = new ChunkGate(open: false);
        var (api, lease, http) = await LeaseAsync(harness, gate);
        using var _ = http;
        var shipper = Shipper(api, lease with { Mask = [Secret] });

        await shipper.WriteAsync(LogStream.Stdout, "0", CancellationToken.None);
        await gate.FirstArrived.WaitAsync(AgentHarness.Timeout);
        await shipper.WriteAsync(LogStream.Stdout, "before", CancellationToken.None);
        // The stream went quiet after the secret's first ten characters (an idle flush), then wrote the rest.
        await shipper.WriteAsync(Piece("split:" + Secret[..10], PieceEnd.Idle, 16), CancellationToken.None);
        gate.Open();
        await AgentHarness.UntilAsync(() => Task.FromResult(shipper.Holding), "the first piece held back");
        await shipper.WriteAsync(Piece(Secret[10..], PieceEnd.Newline, 30), CancellationToken.None);
        await shipper.FlushAndCloseAsync(CancellationToken.None).WaitAsync(AgentHarness.Timeout);

        Assert.Equal([1, 1, 2], gate.Chunks.Select(c => c.Lines.Count));
        Assert.Equal(["0", "before", "split:***", "***"], await harness.LinesAsync(lease.RunId));
    }

    [Fact]
    public async Task A_piece_that_may_start_a_secret_waits_at_most_the_hold_and_other_pieces_not_at_all()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var gate = new ChunkGate(open: true);
        var (api, lease, http) = await LeaseAsync(harness, gate);
        using var _ = http;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var shipper = Shipper(api, lease with { Mask = [Secret] }, time);

        // A progress bar's piece that cannot start the secret is shipped at once (the clock never moves).
        await shipper.WriteAsync(Piece("50%", PieceEnd.Idle, 3), CancellationToken.None);
        await gate.FirstArrived.WaitAsync(AgentHarness.Timeout);
        await shipper.WriteAsync(Piece(" done", PieceEnd.Newline, 9), CancellationToken.None);
        await shipper.WriteAsync(Piece("token: s3c", PieceEnd.Idle, 20), CancellationToken.None);
        await AgentHarness.UntilAsync(() => Task.FromResult(shipper.Holding), "the piece held back");
        Assert.DoesNotContain("token: s3c", await harness.LinesAsync(lease.RunId));

        time.Advance(LogShipper.PartialSecretHold);
        await AgentHarness.UntilAsync(
            async () => (await harness.LinesAsync(lease.RunId)).Contains("token: s3c"),
            "the held piece shipped once the hold is over"
        );
        await shipper.FlushAndCloseAsync(CancellationToken.None).WaitAsync(AgentHarness.Timeout);
        Assert.Equal(["50%", " done", "token: s3c"], await harness.LinesAsync(lease.RunId));
    }

    [Fact]
    public async Task A_secret_cut_at_the_line_limit_is_masked_in_both_pieces()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var gate = new ChunkGate(open: true);
        var (api, lease, http) = await LeaseAsync(harness, gate);
        using var _ = http;
        var shipper = Shipper(api, lease with { Mask = [Secret] });

        await shipper.WriteAsync(Piece("x" + Secret[..5], PieceEnd.Split, 6), CancellationToken.None);
        await AgentHarness.UntilAsync(() => Task.FromResult(shipper.Holding), "the split piece held back");
        await shipper.WriteAsync(Piece(Secret[5..] + " y", PieceEnd.Newline, 40), CancellationToken.None);
        await shipper.FlushAndCloseAsync(CancellationToken.None).WaitAsync(AgentHarness.Timeout);

        Assert.Equal(["x***" + LogShipper.ContinuationMark, "*** y"], await harness.LinesAsync(lease.RunId));
    }

    private static OutputPiece Piece(string text, PieceEnd end, long endOffset) =>
        new(OutputStream.Stdout, text, end, endOffset);

    private static LogShipper Shipper(AgentApiClient api, Assignment lease, TimeProvider? time = null)
    {
        var report = new RunningReport(_ => Task.CompletedTask);
        report.EndWindow();
        return new LogShipper(
            api,
            lease,
            report,
            time ?? new FakeTimeProvider(DateTimeOffset.UtcNow),
            NullLogger.Instance
        );
    }

    /// <summary>
    /// Registers an agent, creates a run and leases its task through the real protocol, over the gate.
    /// </summary>
    private static async Task<(AgentApiClient Api, Assignment Lease, HttpClient Http)> LeaseAsync(
        AgentHarness harness,
        ChunkGate gate
    )
    {
        var options = harness.Options();
        gate.InnerHandler = new SocketsHttpHandler();
        var http = new HttpClient(gate, disposeHandler: false) { BaseAddress = options.Server };
        // The agent's own headers (token, protocol version), over the gate.
        using (var standard = AgentApiClient.CreateHttpClient(options))
        {
            foreach (var header in standard.DefaultRequestHeaders)
                http.DefaultRequestHeaders.TryAddWithoutValidation(header.Key, header.Value);
        }
        var api = new AgentApiClient(http);
        var registered = await api.RegisterAsync(
            new RegisterAgentBody("shipper", new() { ["driver.process"] = "true" }, 1, "0"),
            CancellationToken.None
        );
        await harness.CreateRunAsync(
            new CreateRunBody
            {
                Command = ["true"],
                Driver = "process",
                MaxAttempts = 1,
            }
        );
        var lease = (
            await api.LeaseAsync(new LeaseRequest(registered.AgentId, 1, 5), CancellationToken.None)
        ).Assignments.SingleOrDefault() ?? throw new InvalidOperationException("no lease");
        await api.MarkRunningAsync(
            lease.TaskId,
            new RunningBody(lease.Epoch, DateTimeOffset.UtcNow),
            CancellationToken.None
        );
        return (api, lease, http);
    }

    /// <summary>
    /// Between the shipper and the server: records each log chunk and, while closed, holds it in flight.
    /// </summary>
    private sealed class ChunkGate(bool open) : DelegatingHandler
    {
        private readonly TaskCompletionSource _open = NewSignal(open);
        private readonly TaskCompletionSource _first = NewSignal(false);
        private readonly Lock _gate = new();
        private readonly List<LogChunkBody> _chunks = [];

        public Task FirstArrived => _first.Task;

        public IReadOnlyList<LogChunkBody> Chunks
        {
            get
            {
                lock (_gate)
                    return [.. _chunks];
            }
        }

        public void Open() => _open.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/logs", StringComparison.Ordinal))
            {
                var body = JsonSerializer.Deserialize(
                    await request.Content!.ReadAsByteArrayAsync(ct),
                    HearthJson.Options.TypeInfo<LogChunkBody>()
                )!;
                lock (_gate)
                    _chunks.Add(body);
                _first.TrySetResult();
                await _open.Task.WaitAsync(ct);
            }
            return await base.SendAsync(request, ct);
        }

        private static TaskCompletionSource NewSignal(bool set)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (set)
                signal.SetResult();
            return signal;
        }
    }
}
