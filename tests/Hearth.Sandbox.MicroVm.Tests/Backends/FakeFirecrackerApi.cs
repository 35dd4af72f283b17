using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// Firecracker's API as its swagger definition (src/firecracker/swagger/firecracker.yaml) publishes it, on a Unix
/// socket, for the resources Hearth uses: PUT /machine-config, /boot-source, /drives/{drive_id},
/// /network-interfaces/{iface_id}, /vsock, /actions and GET /. Bodies are checked as Firecracker checks them (required
/// fields, types, ranges, unknown fields refused, the path id equal to the body's, files that must exist, pre-boot
/// only after InstanceStart); success is 204 with no body, a refusal 400 with <c>{"fault_message": ...}</c> worded as
/// Firecracker's errors are. Every request is recorded.
/// </summary>
public sealed class FakeFirecrackerApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _started;

    private FakeFirecrackerApi(WebApplication app, string socketPath)
    {
        _app = app;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public ConcurrentQueue<(string Method, string Path, string Body)> Requests { get; } = new();

    public static async Task<FakeFirecrackerApi> StartAsync(string socketPath)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var fake = new FakeFirecrackerApi(app, socketPath);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var path = context.Request.Path.Value ?? "/";
        Requests.Enqueue((context.Request.Method, path, body));
        var (status, fault, json) = Answer(context.Request.Method, path, body);
        context.Response.StatusCode = status;
        if (fault is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["fault_message"] = fault }.ToJsonString());
        }
        else if (json is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json);
        }
    }

    private (int Status, string? Fault, string? Json) Answer(string method, string path, string body)
    {
        if (method == "GET" && path == "/")
            return (
                200,
                null,
                new JsonObject
                {
                    ["id"] = "anonymous-instance",
                    ["state"] = _started ? "Running" : "Not started",
                    ["vmm_version"] = "1.17.0",
                    ["app_name"] = "Firecracker",
                }.ToJsonString()
            );
        if (method != "PUT")
            return (400, $"Invalid request method and/or path: {method} {path}.", null);
        JsonObject request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("expected a JSON object");
        }
        catch (JsonException e)
        {
            return (400, $"An error occurred when deserializing the json body of a request: {e.Message}.", null);
        }
        var segments = path.Trim('/').Split('/');
        string? error = segments switch
        {
            ["actions"] => Action(request),
            _ when _started => "The requested operation is not supported after starting the microVM.",
            ["machine-config"] => Check(
                request,
                Fields(("vcpu_count", Integer, true), ("mem_size_mib", Integer, true), ("smt", Boolean, false))
            ) ?? MachineConfig(request),
            ["boot-source"] => Check(
                request,
                Fields(("kernel_image_path", Text, true), ("boot_args", Text, false), ("initrd_path", Text, false))
            ) ?? BootSource(request),
            ["drives", var id] => Check(
                request,
                Fields(
                    ("drive_id", Text, true),
                    ("is_root_device", Boolean, true),
                    ("is_read_only", Boolean, false),
                    ("path_on_host", Text, false)
                )
            )
                ?? SameId(id, request, "drive_id")
                ?? Readable((string?)request["path_on_host"], "drive"),
            ["network-interfaces", var id] => Check(
                request,
                Fields(("iface_id", Text, true), ("host_dev_name", Text, true), ("guest_mac", Text, false))
            ) ?? SameId(id, request, "iface_id"),
            ["vsock"] => Check(request, Fields(("guest_cid", Integer, true), ("uds_path", Text, true)))
                ?? Vsock(request),
            _ => $"Invalid request method and/or path: {method} {path}.",
        };
        return error is null ? (204, null, null) : (400, error, null);
    }

    private string? Action(JsonObject request)
    {
        if (Check(request, Fields(("action_type", Text, true))) is { } error)
            return error;
        switch ((string?)request["action_type"])
        {
            case "InstanceStart":
                if (_started)
                    return "The requested operation is not supported after starting the microVM.";
                if (!Requests.Any(r => r.Path == "/boot-source" && r.Method == "PUT"))
                    return "Cannot start microvm without kernel configuration.";
                _started = true;
                return null;
            case "SendCtrlAltDel":
                return _started ? null : "The requested operation is not supported before starting the microVM.";
            case "FlushMetrics":
                return null;
            default:
                return $"unknown variant `{(string?)request["action_type"]}`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel`";
        }
    }

    private static string? MachineConfig(JsonObject request)
    {
        var vcpus = (long)request["vcpu_count"]!;
        var smt = (bool?)request["smt"] ?? false;
        if (vcpus < 1 || vcpus > 32 || (smt && vcpus > 1 && vcpus % 2 == 1))
            return "The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.";
        return (long)request["mem_size_mib"]! <= 0
            ? "The memory size (MiB) is either 0, or not a multiple of the configured page size."
            : null;
    }

    private static string? BootSource(JsonObject request)
    {
        var kernel = (string)request["kernel_image_path"]!;
        if (!File.Exists(kernel))
            return "The kernel file cannot be opened: No such file or directory (os error 2)";
        return request["initrd_path"] is JsonValue initrd && !File.Exists((string)initrd!)
            ? "The initrd file cannot be opened due to invalid path or invalid permissions. No such file or directory (os error 2)"
            : null;
    }

    private static string? Vsock(JsonObject request)
    {
        if ((long)request["guest_cid"]! < 3)
            return "Invalid guest CID: must be 3 or greater";
        var uds = (string)request["uds_path"]!;
        return Directory.Exists(Path.GetDirectoryName(uds))
            ? null
            : $"Cannot create backend for vsock device: {uds}: No such file or directory (os error 2)";
    }

    private static string? SameId(string id, JsonObject request, string field) =>
        (string?)request[field] == id
            ? null
            : $"The id from the path [{id}] does not match the id from the body [{(string?)request[field]}]!";

    private static string? Readable(string? path, string what) =>
        path is null || File.Exists(path)
            ? null
            : $"Unable to create the block device: Cannot open the {what} file: No such file or directory (os error 2)";

    private const string Integer = "integer";
    private const string Text = "string";
    private const string Boolean = "boolean";

    private static (string Name, string Type, bool Required)[] Fields(params (string, string, bool)[] fields) => fields;

    /// <summary>serde's checks: unknown fields, missing required ones, wrong types.</summary>
    private static string? Check(JsonObject request, (string Name, string Type, bool Required)[] fields)
    {
        foreach (var (name, _) in request)
            if (fields.All(f => f.Name != name))
                return $"unknown field `{name}`, expected one of {string.Join(", ", fields.Select(f => $"`{f.Name}`"))}";
        foreach (var (name, type, required) in fields)
        {
            if (request[name] is not JsonValue value)
            {
                if (required)
                    return $"missing field `{name}`";
                continue;
            }
            var ok = type switch
            {
                Integer => value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var n) && n >= 0,
                Boolean => value.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
                _ => value.GetValueKind() == JsonValueKind.String,
            };
            if (!ok)
                return $"invalid type: {value.GetValueKind()}, expected {type} for `{name}`";
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        File.Delete(SocketPath);
    }
}
