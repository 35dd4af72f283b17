using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Tests.Telemetry;

/// <summary>One span as an OTLP exporter sent it.</summary>
public sealed record ReceivedSpan(string Service, string Name, string TraceId, string SpanId, string ParentSpanId);

/// <summary>
/// A local OTLP/HTTP receiver (<c>POST /v1/traces</c>, protobuf), on loopback: what the exporters really send, decoded
/// from the wire format (ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span) for the fields the tests read.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    public Uri Url =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            foreach (var span in Decode(body.ToArray()))
                receiver.Spans.Enqueue(span);
            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(Array.Empty<byte>());
        });
        await app.StartAsync();
        return receiver;
    }

    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
                continue;
            var service = "";
            var spans = new List<(string, string, string, string)>();
            foreach (var (rsField, rsValue) in Fields(resourceSpans))
            {
                if (rsField == 1)
                    service = ServiceName(rsValue) ?? service;
                if (rsField != 2)
                    continue;
                foreach (var (ssField, span) in Fields(rsValue))
                {
                    if (ssField != 2)
                        continue;
                    string traceId = "",
                        spanId = "",
                        parent = "",
                        name = "";
                    foreach (var (f, v) in Fields(span))
                    {
                        switch (f)
                        {
                            case 1:
                                traceId = Convert.ToHexStringLower(v);
                                break;
                            case 2:
                                spanId = Convert.ToHexStringLower(v);
                                break;
                            case 4:
                                parent = Convert.ToHexStringLower(v);
                                break;
                            case 5:
                                name = System.Text.Encoding.UTF8.GetString(v);
                                break;
                        }
                    }
                    spans.Add((name, traceId, spanId, parent));
                }
            }
            foreach (var (name, traceId, spanId, parent) in spans)
                yield return new ReceivedSpan(service, name, traceId, spanId, parent);
        }
    }

    /// <summary>
    /// Resource { repeated KeyValue attributes = 1 }, KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string_value
    /// = 1 }.
    /// </summary>
    private static string? ServiceName(byte[] resource)
    {
        foreach (var (field, attribute) in Fields(resource))
        {
            if (field != 1)
                continue;
            string? key = null,
                value = null;
            foreach (var (f, v) in Fields(attribute))
            {
                if (f == 1)
                    key = System.Text.Encoding.UTF8.GetString(v);
                if (f == 2)
                    value = Fields(v)
                        .Where(x => x.Field == 1)
                        .Select(x => System.Text.Encoding.UTF8.GetString(x.Value))
                        .FirstOrDefault();
            }
            if (key == "service.name")
                return value;
        }
        return null;
    }

    /// <summary>The length-delimited fields of a message (numbers and fixed-size fields are skipped).</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var at = 0;
        while (at < message.Length)
        {
            var tag = Varint(message, ref at);
            var (field, wire) = ((int)(tag >> 3), (int)(tag & 7));
            switch (wire)
            {
                case 0:
                    Varint(message, ref at);
                    break;
                case 1:
                    at += 8;
                    break;
                case 5:
                    at += 4;
                    break;
                case 2:
                    var length = (int)Varint(message, ref at);
                    fields.Add((field, message[at..(at + length)]));
                    at += length;
                    break;
                default:
                    throw new FormatException($"unexpected protobuf wire type {wire}");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
