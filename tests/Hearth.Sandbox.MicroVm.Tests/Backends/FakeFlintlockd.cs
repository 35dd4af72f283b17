using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using FlintlockApi = Microvm.Services.Api.V1Alpha1;
using FlintlockTypes = global::Flintlock.Types;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// flintlockd's <c>microvm.services.api.v1alpha1.MicroVM</c> service over gRPC (HTTP/2 on loopback), behaving as
/// infrastructure/grpc/server.go and core/application do: a create without a spec is InvalidArgument; a created VM
/// gets a uid and starts PENDING; an unknown uid is a plain error (gRPC Unknown, "getting microvm: microvm spec UID
/// not found"); delete marks the VM DELETING (and it is gone at the next reconcile). How a VM's reconcile ends
/// (CREATED with the guest-agent vsock path, or FAILED) and how many polls it takes is the test's to say.
/// </summary>
internal sealed class FakeFlintlockd : FlintlockApi.MicroVM.MicroVMBase, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FlintlockTypes.MicroVM> _vms = new();
    private readonly ConcurrentDictionary<string, int> _polls = new();
    private WebApplication? _app;
    private int _next;

    public string Endpoint { get; private set; } = "";

    public ConcurrentQueue<FlintlockApi.CreateMicroVMRequest> Creates { get; } = new();

    public ConcurrentQueue<string> Deletes { get; } = new();

    public ConcurrentQueue<string> Gets { get; } = new();

    /// <summary>GetMicroVM answers PENDING this many times before the reconcile's outcome.</summary>
    public int PendingPolls { get; set; } = 2;

    /// <summary>Where a CREATED VM's guest-agent vsock is (its status.vsock_path).</summary>
    public string VsockPath { get; set; } = "";

    /// <summary>The reconcile fails (FAILED after 10 retries) instead of making the VM.</summary>
    public bool FailReconcile { get; set; }

    /// <summary>CreateMicroVM fails with this (as flintlockd's validation or provider errors do).</summary>
    public RpcException? CreateError { get; set; }

    public static async Task<FakeFlintlockd> StartAsync()
    {
        var fake = new FakeFlintlockd();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(fake);
        var app = builder.Build();
        app.MapGrpcService<FakeFlintlockd>();
        await app.StartAsync();
        fake._app = app;
        fake.Endpoint = app
            .Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        return fake;
    }

    public override Task<FlintlockApi.CreateMicroVMResponse> CreateMicroVM(
        FlintlockApi.CreateMicroVMRequest request,
        ServerCallContext context
    )
    {
        Creates.Enqueue(request);
        if (request.Microvm is null)
            throw new RpcException(
                new Status(StatusCode.InvalidArgument, "invalid create microvm request: MicroVMSpec required")
            );
        if (CreateError is { } error)
            throw error;
        var uid =
            "01HEARTH"
            + Interlocked.Increment(ref _next).ToString("D18", System.Globalization.CultureInfo.InvariantCulture);
        var spec = request.Microvm.Clone();
        spec.Uid = uid;
        spec.CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        var vm = new FlintlockTypes.MicroVM
        {
            Version = 1,
            Spec = spec,
            Status = new FlintlockTypes.MicroVMStatus
            {
                State = FlintlockTypes.MicroVMStatus.Types.MicroVMState.Pending,
            },
        };
        _vms[uid] = vm;
        return Task.FromResult(new FlintlockApi.CreateMicroVMResponse { Microvm = vm });
    }

    public override Task<FlintlockApi.GetMicroVMResponse> GetMicroVM(
        FlintlockApi.GetMicroVMRequest request,
        ServerCallContext context
    )
    {
        Gets.Enqueue(request.Uid);
        if (request.Uid == "")
            throw new RpcException(new Status(StatusCode.InvalidArgument, "invalid request"));
        if (!_vms.TryGetValue(request.Uid, out var vm))
            throw new RpcException(
                new Status(StatusCode.Unknown, $"getting microvm: microvm spec {request.Uid} not found")
            );
        if (vm.Status.State == FlintlockTypes.MicroVMStatus.Types.MicroVMState.Deleting)
        {
            // The next reconcile removes a VM marked for deletion.
            _vms.TryRemove(request.Uid, out _);
        }
        else if (
            vm.Status.State == FlintlockTypes.MicroVMStatus.Types.MicroVMState.Pending
            && _polls.AddOrUpdate(request.Uid, 1, (_, n) => n + 1) > PendingPolls
        )
        {
            vm.Status.State = FailReconcile
                ? FlintlockTypes.MicroVMStatus.Types.MicroVMState.Failed
                : FlintlockTypes.MicroVMStatus.Types.MicroVMState.Created;
            vm.Status.Retry = FailReconcile ? 10 : 0;
            if (!FailReconcile && vm.Spec.AllowGuestAgent)
                vm.Status.VsockPath = VsockPath;
        }
        return Task.FromResult(new FlintlockApi.GetMicroVMResponse { Microvm = vm.Clone() });
    }

    public override Task<Empty> DeleteMicroVM(FlintlockApi.DeleteMicroVMRequest request, ServerCallContext context)
    {
        Deletes.Enqueue(request.Uid);
        if (request.Uid == "")
            throw new RpcException(new Status(StatusCode.InvalidArgument, "invalid request"));
        if (!_vms.TryGetValue(request.Uid, out var vm))
            throw new RpcException(
                new Status(StatusCode.Unknown, $"deleting microvm: microvm spec {request.Uid} not found")
            );
        vm.Spec.DeletedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        vm.Status.Retry = 0;
        vm.Status.State = FlintlockTypes.MicroVMStatus.Types.MicroVMState.Deleting;
        return Task.FromResult(new Empty());
    }

    public override Task<FlintlockApi.ListMicroVMsResponse> ListMicroVMs(
        FlintlockApi.ListMicroVMsRequest request,
        ServerCallContext context
    )
    {
        if (request.Namespace == "")
            throw new RpcException(new Status(StatusCode.InvalidArgument, "invalid request"));
        var response = new FlintlockApi.ListMicroVMsResponse();
        response.Microvm.AddRange(
            _vms.Values.Where(v =>
                v.Spec.Namespace == request.Namespace && (!request.HasName || v.Spec.Id == request.Name)
            )
        );
        return Task.FromResult(response);
    }

    /// <summary>Whether flintlockd still has the VM (it is gone once a delete has been reconciled).</summary>
    public bool Has(string uid) => _vms.ContainsKey(uid);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
